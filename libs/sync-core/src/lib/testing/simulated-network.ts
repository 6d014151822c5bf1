import type { ClockSample } from '../clock';
import { type DelayRange, type Rng, sampleDelay } from './prng';

/**
 * A client↔server link for clock tests: one-way delays drawn independently each way (so the
 * path can be asymmetric), dropped pings, and a server clock that is offset (and may drift)
 * from the client's. The client clock is the reference ("true") time.
 */
export interface SimulatedNetworkOptions {
  rng: Rng;
  /** Client → server delay (ms). */
  up: DelayRange;
  /** Server → client delay (ms). */
  down: DelayRange;
  /** Probability in [0, 1] that a ping or its answer is lost. */
  dropRate?: number;
  /** serverClock − clientClock at client time 0 (ms). */
  serverOffsetMs: number;
  /** Server clock rate error in parts per million. */
  serverDriftPpm?: number;
}

export class SimulatedNetwork {
  constructor(private readonly opts: SimulatedNetworkOptions) {}

  /** The true serverClock − clientClock at client time `clientMs`. */
  trueOffsetAt(clientMs: number): number {
    return this.opts.serverOffsetMs + (clientMs * (this.opts.serverDriftPpm ?? 0)) / 1e6;
  }

  /** Server clock reading at client time `clientMs`. */
  serverTimeAt(clientMs: number): number {
    return clientMs + this.trueOffsetAt(clientMs);
  }

  /** One `time:ping` sent at client time t0; null when it is lost. */
  ping(t0: number): ClockSample | null {
    const { rng } = this.opts;
    const lost = rng.next() < (this.opts.dropRate ?? 0);
    const up = sampleDelay(rng, this.opts.up);
    const down = sampleDelay(rng, this.opts.down);
    if (lost) return null;
    const arrival = t0 + up;
    return { t0, serverTime: this.serverTimeAt(arrival), t3: arrival + down };
  }
}
