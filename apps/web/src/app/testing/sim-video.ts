import { SimulatedPlayer, type SimulatedPlayerOptions, createRng } from '@watch-party/sync-core/testing';

/**
 * An HTMLVideoElement stand-in driven by sync-core's Chromium-like SimulatedPlayer, on the
 * test's clock: play() starts the clock ~85 ms later, seeks take ~77 ms, and so on.
 */
export class SimVideo {
  readonly player: SimulatedPlayer;
  readyState = 4;
  error: MediaError | null = null;
  duration = 600;
  ended = false;
  preservesPitch = true;
  /** When set, play() is refused like Chromium's autoplay policy does. */
  blockPlay = false;
  playCalls = 0;
  readonly listeners = new Map<string, (() => void)[]>();

  constructor(
    private readonly now: () => number,
    seed = 1,
    /** Another engine's quirks (FIREFOX_LIKE, WEBKIT_LIKE); Chromium-like without. */
    quirks: Omit<SimulatedPlayerOptions, 'rng'> = {},
  ) {
    this.player = new SimulatedPlayer({ rng: createRng(seed), ...quirks });
  }

  get currentTime(): number {
    return this.player.currentTime(this.now());
  }

  set currentTime(position: number) {
    this.player.seek(this.now(), position);
  }

  get paused(): boolean {
    return this.player.paused(this.now());
  }

  get seeking(): boolean {
    return this.player.seeking(this.now());
  }

  get playbackRate(): number {
    return this.player.playbackRate;
  }

  set playbackRate(rate: number) {
    this.player.setPlaybackRate(this.now(), rate);
  }

  play(): Promise<void> {
    this.playCalls++;
    if (this.blockPlay) return Promise.reject(new DOMException('play() needs a gesture', 'NotAllowedError'));
    this.player.play(this.now());
    return Promise.resolve();
  }

  pause(): void {
    this.player.pause(this.now());
  }

  addEventListener(event: string, listener: () => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  removeEventListener(event: string, listener: () => void): void {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
  }

  asVideo(): HTMLVideoElement {
    return this as unknown as HTMLVideoElement;
  }
}
