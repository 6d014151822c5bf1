/** The frame rate is measured over this much of the newest output video (the served window's length). */
export const FPS_WINDOW_SEC = 6;
/** Fewer frames than this measured: too little to tell a rate (null). */
const FPS_MIN_FRAMES = 2;

/**
 * The output video's frame rate, from the fMP4 fragments the packager relays: each brings its
 * video frame count and when its first frame is decoded, so frames over decode time of the last
 * FPS_WINDOW_SEC is the rate actually encoded (a source that drops frames shows here). Pure.
 */
export class OutputFrameRate {
  private readonly marks: { startSec: number; frames: number }[] = [];

  constructor(private readonly windowSec = FPS_WINDOW_SEC) {}

  /** One fragment, in stream order; fragments without video (`startSec` null) are ignored. */
  add(frames: number, startSec: number | null): void {
    if (startSec === null || !Number.isFinite(startSec) || !(frames >= 0)) return;
    const last = this.marks.at(-1);
    if (last && startSec <= last.startSec) this.marks.length = 0; // a timeline restart: start over
    this.marks.push({ startSec, frames });
    while (this.marks.length > 2 && startSec - this.marks[1].startSec >= this.windowSec) this.marks.shift();
  }

  /** Frames per second over the window, to 0.01; null without video or before two fragments. */
  get fps(): number | null {
    if (this.marks.length < 2) return null;
    const first = this.marks[0];
    const newest = this.marks[this.marks.length - 1];
    // The newest fragment's frames have no end time yet: every earlier one spans up to the next.
    let frames = 0;
    for (let i = 0; i < this.marks.length - 1; i++) frames += this.marks[i].frames;
    const seconds = newest.startSec - first.startSec;
    if (seconds <= 0 || frames < FPS_MIN_FRAMES) return null;
    return Math.round((frames / seconds) * 100) / 100;
  }
}
