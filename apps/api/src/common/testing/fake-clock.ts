import { Clock, type Timer } from '../clock';

interface Scheduled {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

/**
 * A clock that moves only when told. `advance(ms)` runs every timer that falls due, in time
 * order, letting the promises each one starts settle before the next (so a timer's async work
 * — a store call, then a broadcast — is finished when `advance` resolves).
 */
export class FakeClock extends Clock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, Scheduled>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    super();
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.schedule(fn, ms, Math.max(1, ms));
  }

  /** Timers still waiting to run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      const due = [...this.timers.values()]
        .filter((s) => s.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.every === null) this.timers.delete(due.id);
      else due.at += due.every;
      due.fn();
      await settle();
    }
    this.t = target;
  }

  /** Lets promises already started finish, without moving time. */
  flush(): Promise<void> {
    return settle();
  }

  private schedule(fn: () => void, ms: number, every: number | null): Timer {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), every, fn });
    return { cancel: () => void this.timers.delete(id) };
  }
}

/** A few turns of the event loop: chains of awaited in-memory calls finish within them. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
