/** Bytes over a sliding window, in buckets: is a publisher above its bitrate cap? */
export class BitrateMeter {
  private readonly buckets: number[];
  private readonly bucketMs: number;
  private current = 0;
  private currentStart: number;

  constructor(
    private readonly maxBitsPerSec: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    buckets = 10,
  ) {
    this.buckets = new Array<number>(buckets).fill(0);
    this.bucketMs = windowMs / buckets;
    this.currentStart = now();
  }

  /** Adds bytes; true while the average over the window stays within the cap. */
  add(bytes: number): boolean {
    const t = this.now();
    const steps = Math.floor((t - this.currentStart) / this.bucketMs);
    if (steps > 0) {
      for (let i = 0; i < Math.min(steps, this.buckets.length); i++) {
        this.current = (this.current + 1) % this.buckets.length;
        this.buckets[this.current] = 0;
      }
      this.currentStart += steps * this.bucketMs;
    }
    this.buckets[this.current] += bytes;
    const total = this.buckets.reduce((a, b) => a + b, 0);
    return total * 8 <= (this.maxBitsPerSec * this.windowMs) / 1000;
  }
}
