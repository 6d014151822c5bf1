/** What one packager run needs: where to write, and how to tell the service what happened. */
export interface PackagerOptions {
  dir: string;
  /** FLV from RTMP, or whatever MediaRecorder makes (webm, mp4): probed */
  input: 'flv' | 'probe';
  /** 1-based run of this show: names the recording part */
  run: number;
  /** first segment number of this run (continues the previous run's numbering) */
  startNumber: number;
  /** how long before the first input byte its first frame was captured (MediaRecorder timeslice) */
  inputLeadMs: number;
  /** the first segment of this run is listed: `offsetMs` corrects its PROGRAM-DATE-TIME */
  onReady(offsetMs: number): void;
  /** the encoder exited (on its own or after `finish`) */
  onExit(code: number | null, stderr: string): void;
  /** sub-second delivery: this run's fMP4 init segment (ftyp + moov) and its codecs */
  onInit?(init: { codecs: string; data: Buffer }): void;
  /** sub-second delivery: each fMP4 fragment (<= 500 ms), `wallclock` ~ when its input arrived */
  onFragment?(fragment: { data: Buffer; keyframe: boolean; wallclock: number }): void;
}

/** One publisher connection's encoder: its bytes in, live HLS and a recording part out. */
export interface Packager {
  /** Settles once the encoder has exited, whatever the reason. */
  readonly done: Promise<void>;
  /** False when the encoder can't keep up (or is gone): the caller cuts the publisher. */
  write(data: Buffer): boolean;
  /** End of input: the encoder flushes and exits. */
  finish(): Promise<void>;
  /** Frames per second of the output video lately (live-packager's OutputFrameRate); null without video yet. */
  outputFps(): number | null;
}

/**
 * The live feature's encoder (ffmpeg) behind a port: ingest and the recorder never spawn
 * processes themselves, so the show lifecycle is unit-tested with a fake encoder.
 */
export abstract class LiveEncoder {
  /** Starts packaging one publisher connection into the show's folder. */
  abstract startPackager(options: PackagerOptions): Packager;
  /** Joins the recording parts, in order, into one file without re-encoding; rejects with why not. */
  abstract joinRecording(parts: string[], output: string): Promise<void>;
  /** A small JPEG of a segment's first frame (the live list's card); false when it has no video. */
  abstract grabThumbnail(segment: string, output: string): Promise<boolean>;
}
