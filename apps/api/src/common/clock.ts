/** A scheduled callback; `cancel` is safe to call more than once, or after it ran. */
export interface Timer {
  cancel(): void;
}

/**
 * The server's time and timers, behind a port: every rule (host migration, buffering holds,
 * expiries, rate windows, live heartbeats) reads the time and schedules work through it, so
 * unit tests drive them with `FakeClock` (common/testing/fake-clock.ts) instead of waiting.
 * IO edges (socket idle timers, child-process kill timers) keep real timers.
 */
export abstract class Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  abstract now(): number;
  /** Runs `fn` once after `ms`. Timers never keep the process alive on their own. */
  abstract setTimeout(fn: () => void, ms: number): Timer;
  /** Runs `fn` every `ms` until cancelled. */
  abstract setInterval(fn: () => void, ms: number): Timer;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  setInterval(fn: () => void, ms: number): Timer {
    const handle = setInterval(fn, ms);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }
}
