import fc from 'fast-check';
import { FollowerController, type FollowerAction, type FollowerInput } from './follower';
import type { FollowerTuning } from './follower-tuning';
import {
  DEFAULT_PLAY_LATENCY_MS,
  DEFAULT_SEEK_LEAD_MS,
  FREEZE_AFTER_WRITE_MS,
  MAX_LOOP_GAIN,
  MAX_RATE_DEVIATION,
  NOISY_READ_MS,
  PLAY_LATENCY_MAX_STEP_MS,
  PLAY_LATE_LEARN_MAX_MS,
  PLAY_START_TIMEOUT_MS,
  RATE_HOLD_AFTER_SEEK_MS,
  READ_NOISE_MIN_SAMPLES,
  SEEK_DEADLINE_GUARD_MS,
  SEEK_MARGIN_MS,
  SEEK_ONLY_BAND_S,
  SETTLED_LEARN_AT_MS,
  SETTLED_LEARN_FROM_MS,
  STALL_DECISIVE_FREEZE_MS,
  STALL_MAX_TICK_GAP_MS,
  STALL_WINDOW_MS,
  STALL_PROBE_VERDICT_MS,
  STEER_GAIN,
} from './follower-tuning';

/** The first resync's lead: the floor, or seek + play latency + guard if that is longer. */
const MARGIN_MS = Math.max(
  SEEK_MARGIN_MS,
  DEFAULT_SEEK_LEAD_MS + DEFAULT_PLAY_LATENCY_MS + SEEK_DEADLINE_GUARD_MS,
);

const base: FollowerInput = {
  expectedPosition: 10,
  groupRate: 1,
  groupPlaying: true,
  rev: 1,
  currentTime: 0,
  paused: true,
  seeking: false,
  playbackRate: 1,
  nowMs: 1000,
};

/** Rates are computed, so compare them with a tolerance. */
function expectRate(a: FollowerAction, rate: number): void {
  expect(a.kind).toBe('rate');
  if (a.kind === 'rate') expect(a.rate).toBeCloseTo(rate, 12);
}

/** Drives a controller through a clean resync; returns it in the steady phase at `nowMs`. */
function settled(
  g = 1,
  residualS = 0,
  latencyMs = DEFAULT_PLAY_LATENCY_MS,
): { c: FollowerController; at: (ms: number, ahead: number) => FollowerInput } {
  const c = new FollowerController({ playLatencyMs: latencyMs });
  const start = c.tick({ ...base, groupRate: g, playbackRate: g });
  if (start.kind !== 'seek' || start.playAtLocalMs === null)
    throw new Error('expected a timed seek');
  const expectedAt = (ms: number): number => 10 + ((ms - 1000) / 1000) * g;
  const at = (ms: number, ahead: number): FollowerInput => ({
    ...base,
    groupRate: g,
    playbackRate: g,
    paused: false,
    nowMs: ms,
    expectedPosition: expectedAt(ms),
    currentTime: expectedAt(ms) + ahead,
  });
  expect(
    c.tick({
      ...base,
      groupRate: g,
      playbackRate: g,
      nowMs: 1100,
      expectedPosition: expectedAt(1100),
      currentTime: start.position,
    }),
  ).toEqual({ kind: 'none' });
  const moved = start.playAtLocalMs + latencyMs + 50;
  c.tick(at(moved, residualS));
  expect(c.phase).toBe('steady');
  return { c, at };
}

describe('FollowerController: resync', () => {
  it('starts with a paused seek ahead and a timed play(), the rate set one tick before', () => {
    const c = new FollowerController();
    // Never a rate write and a seek in the same tick (WebKit may land the seek at double).
    expect(c.tick({ ...base, groupRate: 1.5 })).toEqual({ kind: 'rate', rate: 1.5 });
    expect(c.phase).toBe('resync');
    expect(c.tick({ ...base, groupRate: 1.5, playbackRate: 1.5 })).toEqual({
      kind: 'seek',
      position: 10 + (MARGIN_MS / 1000) * 1.5,
      rate: 1.5,
      playAtLocalMs: 1000 + MARGIN_MS - DEFAULT_PLAY_LATENCY_MS,
    });
    expect(c.phase).toBe('resync');
  });

  it('learns L from a start whose play() the page called late with the lateness taken out, and not at all when the page was starved', () => {
    // The player's play() takes 1 ms; the follower starts from 85. The timer fires 34 ms late,
    // so the clock starts 35 ms after the planned moment: 50 ms ahead of where L = 85 expected.
    const run = (lateMs: number) => {
      const c = new FollowerController({ playLatencyMs: 85 });
      const start = c.tick({ ...base });
      if (start.kind !== 'seek' || start.playAtLocalMs === null) throw new Error('expected a timed seek');
      const expectedAt = (ms: number): number => 10 + (ms - 1000) / 1000;
      c.tick({ ...base, nowMs: 1100, expectedPosition: expectedAt(1100), currentTime: start.position });
      c.playCalledLate(lateMs);
      const moved = start.playAtLocalMs + lateMs + 1 + 50;
      // Started at playAt + late + 1 from `start.position`, which the group reaches at playAt + 85.
      const ct = start.position + (moved - (start.playAtLocalMs + lateMs + 1)) / 1000;
      c.tick({ ...base, paused: false, nowMs: moved, expectedPosition: expectedAt(moved), currentTime: ct });
      expect(c.phase).toBe('steady');
      return c.playLatencyMs;
    };
    expect(run(34)).toBeCloseTo(1, 0);
    expect(run(PLAY_LATE_LEARN_MAX_MS + 20)).toBe(85);
  });

  it('resyncs on a new revision (seek, rate change) even when close', () => {
    const { c, at } = settled();
    expect(c.tick(at(3000, 0))).toEqual({ kind: 'none' });
    expect(c.tick({ ...at(3050, 0), rev: 2 }).kind).toBe('seek');
  });

  it('learns the play latency from the residual error (the first one fully)', () => {
    const { c } = settled(1, -0.02); // started 20 ms late → L was 20 ms too small
    expect(c.playLatencyMs).toBeCloseTo(DEFAULT_PLAY_LATENCY_MS + 20, 6);
    expect(c.lastResidualMs).toBeCloseTo(-20, 6);
    const { c: c4 } = settled(4, 0.02); // at 4x, 20 ms ahead is only 5 ms of wall time
    expect(c4.playLatencyMs).toBeCloseTo(DEFAULT_PLAY_LATENCY_MS - 5, 6);
  });

  it('bounds the correction one resync can make to L', () => {
    const { c } = settled(1, 0.15, 300); // started 150 ms early: L looks 150 ms too large
    expect(c.playLatencyMs).toBeCloseTo(300 - PLAY_LATENCY_MAX_STEP_MS, 9);
  });

  it('re-plans with a longer seek lead when the seek is still running near play time', () => {
    const c = new FollowerController();
    const first = c.tick(base);
    if (first.kind !== 'seek' || first.playAtLocalMs === null) throw new Error('seek');
    expect(c.tick({ ...base, seeking: true, nowMs: 1100 })).toEqual({ kind: 'none' });
    const again = c.tick({ ...base, seeking: true, nowMs: first.playAtLocalMs - 10 });
    expect(again.kind).toBe('seek');
    expect(c.seekLeadMs).toBeGreaterThan(first.playAtLocalMs - 10 - 1000);
  });

  it('resyncs again when play() never moves the clock', () => {
    const c = new FollowerController();
    const first = c.tick(base);
    if (first.kind !== 'seek' || first.playAtLocalMs === null) throw new Error('seek');
    const stuck = { ...base, currentTime: first.position };
    expect(c.tick({ ...stuck, nowMs: 1100 }).kind).toBe('none');
    expect(c.tick({ ...stuck, nowMs: first.playAtLocalMs + 500 }).kind).toBe('none');
    expect(
      c.tick({
        ...stuck,
        nowMs: first.playAtLocalMs + DEFAULT_PLAY_LATENCY_MS + PLAY_START_TIMEOUT_MS + 1,
      }).kind,
    ).toBe('seek');
  });
});

describe('FollowerController: steering', () => {
  it('uses a dead band with hysteresis: start above 5 ms, stop below 1 ms', () => {
    const { c, at } = settled();
    expect(c.tick(at(3000, 0.004))).toEqual({ kind: 'none' });
    expectRate(c.tick(at(3050, 0.006)), 1 - STEER_GAIN * 0.006);
    expectRate(
      c.tick({ ...at(3100, 0.003), playbackRate: 1 - STEER_GAIN * 0.006 }),
      1 - STEER_GAIN * 0.003,
    ); // still steering
    expect(c.tick({ ...at(3150, 0.0005), playbackRate: 0.997 })).toEqual({ kind: 'rate', rate: 1 });
    expect(c.tick(at(3200, 0.0005))).toEqual({ kind: 'none' });
  });

  it('clamps to ±5 % of the group rate, at 0.25x and 4x too', () => {
    for (const g of [0.25, 1, 4]) {
      const { c, at } = settled(g);
      expect(c.tick(at(3000, 0.5))).toEqual({ kind: 'rate', rate: g * (1 - MAX_RATE_DEVIATION) });
      // Later than STALL_WINDOW_MS after the write: a jump this size that soon would be a stall.
      expect(c.tick({ ...at(3000 + STALL_WINDOW_MS + 50, -0.5), playbackRate: g * 0.95 })).toEqual({
        kind: 'rate',
        rate: g * (1 + MAX_RATE_DEVIATION),
      });
    }
  });

  it('does not rewrite a rate for a negligible change', () => {
    const { c, at } = settled();
    expectRate(c.tick(at(3000, 0.01)), 1 - STEER_GAIN * 0.01);
    expect(c.tick({ ...at(3050, 0.0099), playbackRate: 1 - STEER_GAIN * 0.01 })).toEqual({
      kind: 'none',
    });
  });

  it('holds the rate for RATE_HOLD_AFTER_SEEK_MS after a seek it did not ask for', () => {
    const { c, at } = settled();
    expect(c.tick({ ...at(3000, -0.012), seeking: true })).toEqual({ kind: 'none' });
    expect(c.tick(at(3000 + RATE_HOLD_AFTER_SEEK_MS - 1, -0.012))).toEqual({ kind: 'none' });
    expectRate(c.tick(at(3000 + RATE_HOLD_AFTER_SEEK_MS, -0.012)), 1 + STEER_GAIN * 0.012);
  });

  it('is proportional to the group rate, with k·rate capped so 4x does not ring', () => {
    const s1 = settled(0.5);
    expectRate(s1.c.tick(s1.at(3000, -0.01)), 0.5 * (1 + STEER_GAIN * 0.01));
    const s4 = settled(4);
    expectRate(s4.c.tick(s4.at(3000, 0.01)), 4 * (1 - (MAX_LOOP_GAIN / 4) * 0.01));
  });

  it('resyncs on huge errors and when paused by someone else', () => {
    const { c, at } = settled();
    expect(c.tick(at(3000, 1.5)).kind).toBe('seek');
    const s2 = settled();
    expect(s2.c.tick({ ...s2.at(3000, 0), paused: true }).kind).toBe('seek');
    const c3 = new FollowerController();
    expect(c3.tick({ ...base, expectedPosition: 3600, currentTime: 0 })).toMatchObject({
      kind: 'seek',
      position: 3600 + MARGIN_MS / 1000,
    });
  });
});

describe('FollowerController: paused group and guards', () => {
  const paused: FollowerInput = { ...base, groupPlaying: false, expectedPosition: 42 };

  it('pauses and seeks to exactly the group position, once', () => {
    const c = new FollowerController();
    expect(c.tick({ ...paused, paused: false, currentTime: 40 })).toEqual({
      kind: 'seek',
      position: 42,
      rate: 1,
      playAtLocalMs: null,
    });
    expect(c.tick({ ...paused, currentTime: 42, seeking: true, nowMs: 1050 })).toEqual({
      kind: 'none',
    });
    // a player that snaps to a frame near the target must not make us seek forever
    expect(c.tick({ ...paused, currentTime: 42.02, nowMs: 1100 })).toEqual({ kind: 'none' });
    expect(c.tick({ ...paused, currentTime: 42.02, nowMs: 1150 })).toEqual({ kind: 'none' });
    // ...but if someone moves it, it goes back
    expect(c.tick({ ...paused, currentTime: 50, nowMs: 1200 }).kind).toBe('seek');
  });

  it('only pauses when already in place', () => {
    const c = new FollowerController();
    expect(c.tick({ ...paused, paused: false, currentTime: 42.001 })).toEqual({ kind: 'pause' });
    expect(c.tick({ ...paused, currentTime: 42.001, nowMs: 1050 })).toEqual({ kind: 'none' });
  });

  it('guards a negative currentTime and never seeks below 0', () => {
    const c = new FollowerController();
    expect(c.tick({ ...paused, expectedPosition: 0, currentTime: -3 })).toEqual({ kind: 'none' });
    const c2 = new FollowerController();
    const a = c2.tick({ ...base, expectedPosition: -1, currentTime: -0.5 });
    expect(a).toMatchObject({ kind: 'seek', position: MARGIN_MS / 1000 });
  });

  it('ignores garbage input instead of emitting NaN', () => {
    const c = new FollowerController();
    for (const bad of [
      { currentTime: Number.NaN },
      { expectedPosition: Infinity },
      { groupRate: 0 },
      { groupRate: -1 },
      { nowMs: Number.NaN },
    ]) {
      expect(c.tick({ ...base, ...bad })).toEqual({ kind: 'none' });
    }
  });
});

/** Every number an action carries. */
const numbersOf = (a: FollowerAction): number[] =>
  a.kind === 'rate'
    ? [a.rate]
    : a.kind === 'seek'
      ? [a.position, a.rate, ...(a.playAtLocalMs === null ? [] : [a.playAtLocalMs])]
      : [];

describe('FollowerController properties', () => {
  const tickArb = (rate: fc.Arbitrary<number>, num: fc.Arbitrary<number>) =>
    fc.record({
      expectedPosition: num,
      groupRate: rate,
      groupPlaying: fc.boolean(),
      rev: fc.integer({ min: 0, max: 3 }),
      currentTime: num,
      paused: fc.boolean(),
      seeking: fc.boolean(),
      playbackRate: num,
      dtMs: fc.double({ min: 0, max: 2000, noNaN: true }),
    });
  const sane = fc.double({ min: -10, max: 1e5, noNaN: true });

  it('never steers outside [0.95, 1.05]·groupRate, never emits NaN or a negative position', () => {
    fc.assert(
      fc.property(
        fc.array(tickArb(fc.double({ min: 0.25, max: 4, noNaN: true }), sane), { maxLength: 60 }),
        (ticks) => {
          const c = new FollowerController();
          let now = 0;
          for (const { dtMs, ...t } of ticks) {
            now += dtMs;
            const a = c.tick({ ...t, nowMs: now });
            if (!numbersOf(a).every(Number.isFinite)) return false;
            if (
              a.kind === 'rate' &&
              (a.rate < t.groupRate * 0.95 * (1 - 1e-12) ||
                a.rate > t.groupRate * 1.05 * (1 + 1e-12))
            )
              return false;
            if (
              a.kind === 'seek' &&
              (a.rate !== t.groupRate ||
                a.position < 0 ||
                (a.playAtLocalMs !== null && a.playAtLocalMs < now))
            )
              return false;
          }
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never emits NaN/Infinity or a non-positive rate, whatever it is fed', () => {
    fc.assert(
      fc.property(fc.array(tickArb(fc.double(), fc.double()), { maxLength: 40 }), (ticks) => {
        const c = new FollowerController();
        let now = 0;
        return ticks.every(({ dtMs, ...t }) => {
          now += dtMs;
          const a = c.tick({ ...t, nowMs: now });
          return (
            numbersOf(a).every(Number.isFinite) &&
            (a.kind !== 'rate' && a.kind !== 'seek' ? true : a.rate > 0)
          );
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('FollowerController: engines that are not Chromium (learned, not sniffed)', () => {
  it('sets the rate a tick before a paused-group seek, never with it', () => {
    const c = new FollowerController();
    const paused: FollowerInput = {
      ...base,
      groupPlaying: false,
      groupRate: 2,
      expectedPosition: 42,
    };
    expect(c.tick(paused)).toEqual({ kind: 'rate', rate: 2 });
    expect(c.tick({ ...paused, playbackRate: 2, nowMs: 1050 })).toEqual({
      kind: 'seek',
      position: 42,
      rate: 2,
      playAtLocalMs: null,
    });
  });

  it('filters noisy reads (±20 ms): learns the noise, stays put when on time, steers on a real 30 ms', () => {
    const { c, at } = settled();
    const noisy = (ms: number, ahead: number, i: number): FollowerInput =>
      at(ms, ahead + (i % 2 === 0 ? 0.02 : -0.02) * (i % 3 === 0 ? 0.5 : 1));
    let now = 3000;
    // Until READ_NOISE_MIN_SAMPLES jumps are seen it cannot tell noise from error (learned once).
    for (let i = 0; i < READ_NOISE_MIN_SAMPLES + 1; i++, now += 50) c.tick(noisy(now, 0, i));
    expect(c.readNoiseMs).toBeGreaterThan(10);
    let writes = 0;
    for (let i = 0; i < 100; i++, now += 50)
      if (c.tick({ ...noisy(now, 0, i), playbackRate: 1 }).kind !== 'none') writes++;
    // The old law wrote the rate on most of these 100 ticks (its 5 ms dead band sits under the noise).
    expect(writes).toBeLessThanOrEqual(1);
    const actions: FollowerAction[] = [];
    for (let i = 0; i < 40; i++, now += 50) actions.push(c.tick(noisy(now, 0.03, i)));
    const rates = actions.flatMap((a) => (a.kind === 'rate' ? [a.rate] : []));
    expect(rates.length).toBeGreaterThan(0);
    expect(rates[0]).toBeLessThan(1); // ahead: slow down
    expect(rates.length).toBeLessThanOrEqual(40 / 10); // at most one write per 500 ms
  });

  it('retries a rate write the clock ignores once, then resyncs (rate first, seek next tick)', () => {
    const { c, at } = settled();
    const steer = c.tick(at(3000, 0.012));
    expectRate(steer, 1 - STEER_GAIN * 0.012);
    const written = steer.kind === 'rate' ? steer.rate : 1;
    // The element reads the new rate back but its clock keeps running at 1.0: error stays 12 ms.
    const ignored = (ms: number): FollowerInput => ({ ...at(ms, 0.012), playbackRate: written });
    const seen: Array<{ at: number; a: FollowerAction }> = [];
    for (let ms = 3050; ms <= 6000 && seen.length < 2; ms += 50) {
      const a = c.tick(ignored(ms));
      if (a.kind !== 'none') seen.push({ at: ms, a });
    }
    expect(seen.map((s) => s.a)).toEqual([
      { kind: 'rate', rate: written },
      { kind: 'rate', rate: 1 },
    ]);
    expect(c.droppedRateWrites).toBe(2);
    expect(c.phase).toBe('resync');
    expect(c.tick({ ...at(seen[1].at + 50, 0.012), playbackRate: 1 }).kind).toBe('seek');
  });

  it('waits out reads frozen by its rate writes; after two such freezes (with data), corrects by seeking only', () => {
    const { c, at } = settled();
    let now = 3000;
    const freezeAfterWrite = (ahead: number): void => {
      const a = c.tick(at(now, ahead));
      expect(a.kind).toBe('rate');
      const rate = a.kind === 'rate' ? a.rate : 1;
      const frozenAt = at(now, ahead).currentTime;
      // Reads stay put for 300 ms while the media plays on: no decision on them.
      for (let i = 0; i < 6; i++) {
        now += 50;
        expect(c.tick({ ...at(now, ahead), currentTime: frozenAt, playbackRate: rate })).toEqual({
          kind: 'none',
        });
      }
      now += 50;
      return void c.tick({ ...at(now, 0), playbackRate: rate });
    };
    freezeAfterWrite(0.02);
    expect(c.strategy).toBe('steer');
    // Once the clock runs steadily again (two reads in step), the next write is a probe...
    now += 50;
    expect(c.tick({ ...at(now, -0.02), playbackRate: 0.97 }).kind).toBe('none');
    now += 50;
    expect(c.tick({ ...at(now, -0.02), playbackRate: 0.97 }).kind).toBe('none');
    now += 50;
    // ...which freezes the reads too: seek-only.
    freezeAfterWrite(-0.02);
    expect(c.strategy).toBe('seek-only');
    // Back to the group rate (once), then no steering inside the wider band...
    now += 50;
    expect(c.tick({ ...at(now, 0.008), playbackRate: 1.03 })).toEqual({ kind: 'rate', rate: 1 });
    for (let i = 0; i < 10; i++) expect(c.tick(at((now += 50), 0.008))).toEqual({ kind: 'none' });
    // ...and a timed seek once it is off for three ticks in a row.
    expect(c.tick(at((now += 50), 0.02)).kind).toBe('none');
    expect(c.tick(at((now += 50), 0.02)).kind).toBe('none');
    // (a seek-only player pauses a tick before it seeks)
    expect(c.tick(at((now += 50), 0.02)).kind).toBe('pause');
    expect(c.tick({ ...at((now += 50), 0.02), paused: true }).kind).toBe('seek');
  });

  it('a stall too short to freeze two reads counts by the time it loses; the first is probed at once, a second makes it seek-only', () => {
    const { c, at } = settled();
    let now = 3000;
    // 20 ms ahead: steer down; the write stalls the clock 45 ms between two ticks.
    const a = c.tick(at(now, 0.02));
    expect(a.kind).toBe('rate');
    const rate = a.kind === 'rate' ? a.rate : 1;
    let ahead = 0.02 - 0.045;
    const read = (extra: Partial<FollowerInput> = {}) => {
      now += 50;
      ahead -= ((1 - rate) * 50) / 1000; // running at `rate` against the group's 1x
      return c.tick({ ...at(now, ahead), playbackRate: rate, ...extra });
    };
    read(); // 45 ms lost: the first stall
    expect(c.strategy).toBe('steer');
    read();
    // The clock runs again (two steady reads): a probe write at once, whatever steering needs.
    const probe = read();
    expect(probe.kind).toBe('rate');
    // The probe stalls too: seek-only.
    const probed = probe.kind === 'rate' ? probe.rate : 1;
    ahead -= 0.045;
    now += 50;
    c.tick({ ...at(now, ahead), playbackRate: probed });
    expect(c.strategy).toBe('seek-only');
  });

  it('time lost right after the clock started (a loaded machine) is not blamed on a rate write', () => {
    const { c, at } = settled();
    // settled() leaves the clock started ~50 ms ago: a write now, then 45 ms lost.
    const now = 1000 + MARGIN_MS - DEFAULT_PLAY_LATENCY_MS + DEFAULT_PLAY_LATENCY_MS + 50 + 50;
    const a = c.tick(at(now, 0.02));
    expect(a.kind).toBe('rate');
    c.tick({ ...at(now + 50, 0.02 - 0.045), playbackRate: a.kind === 'rate' ? a.rate : 1 });
    expect((c as unknown as { freezes: number }).freezes).toBe(0);
  });

  it('time lost while its ticks came a little apart (WebKit: up to ~95 ms across a stall) is still blamed on the write', () => {
    const { c, at } = settled();
    const a = c.tick(at(3000, 0.02));
    expect(a.kind).toBe('rate');
    // The next tick comes 100 ms after (93 seen across a WebKit stall); 60 ms were lost meanwhile.
    expect(100).toBeLessThan(STALL_MAX_TICK_GAP_MS);
    c.tick({ ...at(3100, 0.02 - 0.06), playbackRate: a.kind === 'rate' ? a.rate : 1 });
    expect((c as unknown as { freezes: number }).freezes).toBe(1);
  });

  it('the probe after a first stall waits past FREEZE_AFTER_WRITE_MS for the clock to run steadily again (WebKit can take ~1 s)', () => {
    const { c, at } = settled();
    let now = 3000;
    const a = c.tick(at(now, 0.02));
    const rate = a.kind === 'rate' ? a.rate : 1;
    let ahead = 0.02 - 0.045;
    const input = () => {
      now += 50;
      ahead -= ((1 - rate) * 50) / 1000;
      return { ...at(now, ahead), playbackRate: rate };
    };
    c.tick(input()); // 45 ms lost: the first stall, a probe is due
    // The reads then stand still for 500 ms (the clock runs on behind them), then catch up with
    // it unevenly over 250 ms: no write meanwhile.
    const stale = input().currentTime;
    const held: string[] = [];
    for (let i = 0; i < 10; i++) held.push(c.tick({ ...input(), currentTime: stale }).kind);
    expect(now - 3050).toBeLessThan(STALL_DECISIVE_FREEZE_MS);
    for (let i = 0; i < 5; i++) {
      const read = input();
      held.push(c.tick({ ...read, currentTime: read.currentTime - 0.01 * (5 - i) }).kind);
    }
    expect(held.filter((k) => k !== 'none')).toEqual([]);
    expect(now - 3000).toBeGreaterThan(FREEZE_AFTER_WRITE_MS);
    // Once they run steadily again, the next write is the probe.
    let write: FollowerAction = { kind: 'none' };
    for (let i = 0; i < 6 && write.kind === 'none'; i++) write = c.tick(input());
    expect(write.kind).toBe('rate');
    expect((c as unknown as { probeWrite: boolean }).probeWrite).toBe(true);
  });

  describe('one rate write whose reads stand still STALL_DECISIVE_FREEZE_MS (a fresh WebKit page: 1.2+ s)', () => {
    /** A steering write right after the start (only a suspicion by STALL_MIN_RUN_MS), then frozen reads every `stepMs`. */
    const frozenAfterEarlyWrite = (extra: Partial<FollowerInput> = {}, stepMs = 50, untilMs = 800) => {
      const { c, at } = settled();
      const writeAt = 1000 + MARGIN_MS + 100;
      const a = c.tick(at(writeAt, 0.02));
      expect(a.kind).toBe('rate');
      const rate = a.kind === 'rate' ? a.rate : 1;
      const frozenAt = at(writeAt, 0.02).currentTime;
      const seen: Array<{ sinceWrite: number; kind: string; strategy: string }> = [];
      for (let since = stepMs; since <= untilMs; since += stepMs) {
        const action = c.tick({ ...at(writeAt + since, 0), currentTime: frozenAt, playbackRate: rate, ...extra });
        seen.push({ sinceWrite: since, kind: action.kind, strategy: c.strategy });
      }
      return { c, seen };
    };

    it('goes seek-only at once and resyncs (the rate first), even though the write came right after the start', () => {
      const { c, seen } = frozenAfterEarlyWrite();
      // The first frozen read comes a tick after the write: it is decisive 600 ms after that.
      const at = (ms: number) => seen.find((x) => x.sinceWrite === ms);
      expect(at(50 + STALL_DECISIVE_FREEZE_MS - 50)).toEqual({ sinceWrite: 600, kind: 'none', strategy: 'steer' });
      expect(at(50 + STALL_DECISIVE_FREEZE_MS)).toEqual({ sinceWrite: 650, kind: 'rate', strategy: 'seek-only' });
      expect(c.stalls.map((x) => x.verdict)).toEqual(['early', 'decisive']);
    });

    it('not while the element buffers (no data), nor when the page\'s own ticks came late (starved)', () => {
      expect(frozenAfterEarlyWrite({ buffering: true }).c.strategy).toBe('steer');
      expect(STALL_MAX_TICK_GAP_MS).toBeLessThan(150);
      const starved = frozenAfterEarlyWrite({}, 150, 900);
      expect(starved.c.strategy).toBe('steer');
      expect(starved.c.stalls.map((x) => x.verdict)).not.toContain('decisive');
    });

    it('nor reads that stop only later than FREEZE_AFTER_WRITE_MS after the last write (not its freeze)', () => {
      const { c, at } = settled();
      // Steering from 20 ms ahead, the clock running at the rates written (no stall)...
      let now = 3000;
      let rate = 1;
      let lastWrite = now;
      let ahead = 0.02;
      while (now - lastWrite <= FREEZE_AFTER_WRITE_MS + 50) {
        const a = c.tick({ ...at(now, ahead), playbackRate: rate });
        if (a.kind === 'rate') {
          rate = a.rate;
          lastWrite = now;
        }
        now += 50;
        ahead -= ((1 - rate) * 50) / 1000;
      }
      // ...then the reads stand still for 800 ms, long after the last write.
      const frozenAt = at(now, ahead).currentTime;
      for (let i = 0; i < 16; i++) c.tick({ ...at((now += 50), 0), currentTime: frozenAt, playbackRate: rate });
      expect(c.stalls.map((x) => x.verdict)).not.toContain('decisive');
      expect(c.strategy).toBe('steer');
    });
  });

  it('reads that jump about right after a freeze its rate write caused are the stall, not read noise (a WebKit stall once made it a noisy player)', () => {
    const { c, at } = settled();
    let now = 1600;
    // Clean reads first: a few jumps of 0 are known.
    for (; now < 2000; now += 50) c.tick(at(now, 0.0005));
    const a = c.tick(at(now, 0.02));
    expect(a.kind).toBe('rate');
    const rate = a.kind === 'rate' ? a.rate : 1;
    const frozenAt = at(now, 0.02).currentTime;
    // 150 ms frozen, then 400 ms of reads jumping ±12 ms about the clock, then clean again.
    for (let i = 1; i <= 3; i++) c.tick({ ...at(now + 50 * i, 0), currentTime: frozenAt, playbackRate: rate });
    for (let i = 4; i <= 11; i++) c.tick({ ...at(now + 50 * i, i % 2 === 0 ? -0.12 : -0.108), playbackRate: rate });
    expect(c.readNoiseMs).toBeLessThanOrEqual(NOISY_READ_MS);
  });

  it('a probe at the steering clamp steps the rate toward g (not to g), and its verdict is awaited before the next write', () => {
    const { c, at } = settled();
    const internals = c as unknown as { probeDue: boolean; probeWrite: boolean };
    // 120 ms behind, steering at the +5 % clamp; a probe comes due.
    let now = 3000;
    const first = c.tick(at(now, -0.12));
    expectRate(first, 1 + MAX_RATE_DEVIATION);
    internals.probeDue = true;
    let ahead = -0.12;
    const read = (rate: number) => {
      now += 50;
      ahead += ((rate - 1) * 50) / 1000;
      return c.tick({ ...at(now, ahead), playbackRate: rate });
    };
    let probe: FollowerAction = { kind: 'none' };
    for (let i = 0; i < 20 && probe.kind === 'none'; i++) probe = read(1 + MAX_RATE_DEVIATION);
    expect(internals.probeWrite).toBe(true);
    expectRate(probe, 1 + MAX_RATE_DEVIATION - 0.002);
    // No stall follows: nothing is written for STALL_PROBE_VERDICT_MS, even though steering wants +5 %.
    const probed = probe.kind === 'rate' ? probe.rate : 1;
    const held: string[] = [];
    for (let i = 0; i < STALL_PROBE_VERDICT_MS / 50; i++) held.push(read(probed).kind);
    expect(held.filter((k) => k !== 'none')).toEqual([]);
    expect(read(probed).kind).toBe('rate');
  });

  it('time lost while its own ticks came late (the page starved of CPU) is not blamed on a rate write', () => {
    const { c, at } = settled();
    const a = c.tick(at(3000, 0.02));
    expect(a.kind).toBe('rate');
    // The next tick comes 150 ms late; 60 ms were lost meanwhile.
    c.tick({ ...at(3200, 0.02 - 0.06), playbackRate: a.kind === 'rate' ? a.rate : 1 });
    expect((c as unknown as { freezes: number }).freezes).toBe(0);
    expect(c.strategy).toBe('steer');
    // Inconclusive: rate writes are put to the test again (a probe) once the clock runs steadily.
    expect((c as unknown as { probeDue: boolean }).probeDue).toBe(true);
  });

  it('a rate write that takes effect 85 ms late (Chromium) is no stall', () => {
    const { c, at } = settled();
    let now = 3000;
    const a = c.tick(at(now, 0.02));
    const rate = a.kind === 'rate' ? a.rate : 1;
    let ahead = 0.02;
    for (let i = 0; i < 8; i++) {
      now += 50;
      // The old rate (1x) for the first 85 ms, then `rate` (later writes are not applied here).
      ahead -= i === 0 ? 0 : i === 1 ? ((1 - rate) * 15) / 1000 : ((1 - rate) * 50) / 1000;
      c.tick({ ...at(now, ahead), playbackRate: rate });
    }
    expect(c.strategy).toBe('steer');
    expect((c as unknown as { freezes: number }).freezes).toBe(0);
  });

  it('a freeze after a rate write while the element buffers (no data) does not count against steering', () => {
    const { c, at } = settled();
    let now = 3000;
    const a = c.tick(at(now, 0.02));
    expect(a.kind).toBe('rate');
    const rate = a.kind === 'rate' ? a.rate : 1;
    const frozenAt = at(now, 0.02).currentTime;
    for (let i = 0; i < 6; i++) {
      now += 50;
      c.tick({ ...at(now, 0.02), currentTime: frozenAt, playbackRate: rate, buffering: true });
    }
    expect(c.strategy).toBe('steer');
  });

  it('a seek-only player learns its play latency from the settled error, not the lagging first reads', () => {
    const c = new FollowerController({ playLatencyMs: 50 });
    // Made seek-only the way WebKit does it: two rate writes whose reads froze.
    const g = 1;
    let now = 1000;
    const pos = (ms: number) => 10 + (ms - 1000) / 1000;
    const input = (
      ms: number,
      ahead: number,
      extra: Partial<FollowerInput> = {},
    ): FollowerInput => ({
      ...base,
      groupRate: g,
      playbackRate: g,
      paused: false,
      nowMs: ms,
      expectedPosition: pos(ms),
      currentTime: pos(ms) + ahead,
      ...extra,
    });
    c.tick({ ...base, nowMs: now, expectedPosition: pos(now) });
    (c as unknown as { strategyNow: string }).strategyNow = 'seek-only';
    const seek = c.tick({ ...base, rev: 2, nowMs: (now += 50), expectedPosition: pos(now) });
    expect(seek.kind).toBe('seek');
    const target = seek.kind === 'seek' ? seek.position : 0;
    // Seek done, paused at the target until play() at playAt; then the clock runs 12 ms ahead,
    // but the first 100 ms of reads lag it by 10 ms.
    const playAt = seek.kind === 'seek' ? (seek.playAtLocalMs ?? 0) : 0;
    c.tick({ ...input((now += 50), 0, { paused: true, currentTime: target }), rev: 2 });
    while (now + 50 < playAt)
      c.tick({ ...input((now += 50), 0, { paused: true, currentTime: target }), rev: 2 });
    // play() called; the clock starts L = 50 ms later, at the target.
    while (now + 50 < playAt + 50)
      c.tick({ ...input((now += 50), 0, { currentTime: target }), rev: 2 });
    const startedAt = now + 50;
    for (let i = 0; i < 20; i++) {
      now += 50;
      c.tick({ ...input(now, now - startedAt < 100 ? 0.002 : 0.012), rev: 2 });
    }
    expect(c.lastResidualMs).toBeCloseTo(12, 5); // the settled error, not the first read's 2 ms
    // L is learned from the settled +12 ms (ahead: play() came too early → L smaller).
    expect(c.playLatencyMs).toBeLessThan(45);
    expect(c.playLatencyMs).toBeGreaterThan(35);
  });

  /** A seek-only controller through one timed start; `ahead(msSinceStart)` is the error read after it. */
  function seekOnlyStart(
    latencyMs: number,
    ahead: (sinceStartMs: number) => number,
    ticksAfter: number,
    tuning: Partial<FollowerTuning> = {},
  ): { c: FollowerController; actions: FollowerAction[] } {
    const c = new FollowerController({ playLatencyMs: latencyMs, ...tuning });
    const pos = (ms: number) => 10 + (ms - 1000) / 1000;
    const input = (ms: number, extra: Partial<FollowerInput> = {}): FollowerInput => ({
      ...base,
      paused: false,
      nowMs: ms,
      expectedPosition: pos(ms),
      currentTime: pos(ms),
      rev: 2,
      ...extra,
    });
    let now = 1000;
    c.tick({ ...base, nowMs: now, expectedPosition: pos(now) });
    (c as unknown as { strategyNow: string }).strategyNow = 'seek-only';
    const seek = c.tick(input((now += 50), { paused: true, currentTime: 0 }));
    if (seek.kind !== 'seek' || seek.playAtLocalMs === null) throw new Error('expected a timed seek');
    const target = seek.position;
    while (now + 50 < seek.playAtLocalMs + latencyMs)
      c.tick(input((now += 50), { paused: now < seek.playAtLocalMs, currentTime: target }));
    const startedAt = now;
    const actions: FollowerAction[] = [];
    for (let i = 0; i < ticksAfter; i++) {
      now += 50;
      const a = c.tick(input(now, { currentTime: pos(now) + ahead(now - startedAt) }));
      actions.push(a);
      // A resync begins: a seek-only player pauses a tick before it seeks.
      if (a.kind === 'seek' || a.kind === 'pause') break;
    }
    return { c, actions };
  }

  it('a seek-only start that lands far ahead at a steady offset (L too large) teaches L before it resyncs: no endless loop', () => {
    // L = 85 where the clock moves at once: the start lands 84 ms ahead, steadily.
    const { c, actions } = seekOnlyStart(85, () => 0.084, 12);
    expect(actions[actions.length - 1].kind).toBe('pause');
    // Not before the reads have settled, and two ticks after.
    expect(actions.length * 50).toBeGreaterThanOrEqual(SETTLED_LEARN_FROM_MS);
    expect(actions.length * 50).toBeLessThanOrEqual(SETTLED_LEARN_FROM_MS + 100);
    // The first learning after the switch is taken whole: L ≈ 85 − 84.
    expect(c.playLatencyMs).toBeLessThan(5);
  });

  it('a seek-only start that settles 10 ms off right after a command is started once more at once, with L corrected (SEEK_ONLY_REFINE_S)', () => {
    const { c, actions } = seekOnlyStart(85, () => 0.01, 20);
    expect(SEEK_ONLY_BAND_S).toBeGreaterThan(0.01);
    // One pause (the refine's resync), as soon as the error has settled; L learned 10 ms less.
    expect(actions.map((a) => a.kind).filter((k) => k !== 'none')).toEqual(['pause']);
    expect(actions.length * 50).toBeLessThanOrEqual(SETTLED_LEARN_AT_MS + 100);
    expect(c.playLatencyMs).toBeCloseTo(75, 0);
    // Not for a start that settles mid-scene, long after the command.
    const mid = seekOnlyStart(85, () => 0.01, 20, { seekOnlyRefineWithinMs: 0 });
    expect(mid.actions.every((a) => a.kind === 'none')).toBe(true);
  });

  it('a seek-only start whose first reads run ~85 ms ahead for 150 ms, then on time (WebKit), is neither resynced nor learned from', () => {
    const { c, actions } = seekOnlyStart(85, (since) => (since <= 150 ? 0.085 : 0.001), 30);
    expect(actions.every((a) => a.kind === 'none')).toBe(true);
    expect(c.playLatencyMs).toBeGreaterThan(80);
  });

  it('a seek-only start far off with the error still moving (no steady offset) resyncs without learning L from it', () => {
    // 60 ms ahead and 20 ms more at every read: not what a wrong L leaves.
    const { c, actions } = seekOnlyStart(85, (since) => 0.06 + 0.02 * (since / 50), 12);
    expect(actions[actions.length - 1].kind).toBe('pause');
    expect(c.playLatencyMs).toBe(85);
  });

  it('a seek-only player does not pause the picture to mend 13 ms (SEEK_ONLY_BAND_S) away from a command, and does beyond the band', () => {
    expect(SEEK_ONLY_BAND_S).toBeGreaterThan(0.013);
    const mid = { seekOnlyRefineWithinMs: 0 }; // no refine: as a resync mid-scene
    const within = seekOnlyStart(85, () => 0.013, 60, mid);
    expect(within.actions.every((a) => a.kind === 'none')).toBe(true);
    const beyond = seekOnlyStart(85, () => SEEK_ONLY_BAND_S + 0.002, 60, mid);
    expect(beyond.actions.map((a) => a.kind).filter((k) => k !== 'none')).toEqual(['pause']);
  });

  it('a seek-only player pauses a tick before its resync seeks, never both in one task (WebKit then went on playing past the target)', () => {
    const { c, at } = settled();
    (c as unknown as { strategyNow: string }).strategyNow = 'seek-only';
    // A new group state (someone seeks) while the element plays.
    expect(c.tick({ ...at(3000, 0), rev: 2 })).toEqual({ kind: 'pause' });
    const seek = c.tick({ ...at(3050, 0), rev: 2, paused: true });
    expect(seek.kind).toBe('seek');
  });

  it('a steering player (Chromium) still seeks on the tick after the rate', () => {
    const { c, at } = settled();
    expect(c.tick({ ...at(3000, 0), rev: 2, groupRate: 1.5 })).toEqual({ kind: 'rate', rate: 1.5 });
    expect(c.tick({ ...at(3050, 0), rev: 2, groupRate: 1.5, playbackRate: 1.5 }).kind).toBe('seek');
  });

  it('an element found playing before the timed play() (the pause did not hold) is resynced, pausing a tick before its seeks from then on', () => {
    const c = new FollowerController();
    const pos = (ms: number) => 10 + (ms - 1000) / 1000;
    const seek = c.tick({ ...base, expectedPosition: pos(1000) });
    if (seek.kind !== 'seek' || seek.playAtLocalMs === null) throw new Error('expected a timed seek');
    // Seek done, but the element plays on from the target long before play() is due.
    const early = c.tick({ ...base, nowMs: 1100, expectedPosition: pos(1100), paused: false, currentTime: seek.position + 0.05 });
    expect(early).toEqual({ kind: 'pause' });
    expect(c.tick({ ...base, nowMs: 1150, expectedPosition: pos(1150), currentTime: seek.position + 0.1 }).kind).toBe('seek');
    // A later resync (a new group state) while playing: the pause first again.
    expect(c.tick({ ...base, rev: 2, nowMs: 5000, expectedPosition: pos(5000), paused: false, currentTime: pos(5000) })).toEqual({ kind: 'pause' });
  });

  it('a player whose pause holds (Chromium) seeks with it in one tick, resync after resync', () => {
    const c = new FollowerController();
    const pos = (ms: number) => 10 + (ms - 1000) / 1000;
    expect(c.tick({ ...base, expectedPosition: pos(1000), paused: false }).kind).toBe('seek');
    expect(c.tick({ ...base, rev: 2, nowMs: 5000, expectedPosition: pos(5000), paused: false, currentTime: pos(5000) }).kind).toBe('seek');
  });

  it('a seek-only player ignores single reads that dip behind the clock (WebKit): no retry, no resync', () => {
    const { c, at } = settled();
    (c as unknown as { strategyNow: string }).strategyNow = 'seek-only';
    const actions: string[] = [];
    for (let now = 3000, i = 0; now < 9000; now += 50, i++) {
      const dip = i % 7 === 6 ? -0.03 : 0.002; // one read in seven 30 ms behind
      actions.push(c.tick(at(now, dip)).kind);
    }
    expect(actions.filter((k) => k !== 'none')).toEqual([]);
  });

  it('prefers a fresh requestVideoFrameCallback frame time to currentTime, ignores a stale one', () => {
    const { c, at } = settled();
    const input = at(3000, 0.02); // currentTime says 20 ms ahead...
    const frame = { mediaTime: input.expectedPosition - 0.01, atMs: 2990 }; // ...the frame says on time
    expect(c.tick({ ...input, presentedFrame: frame })).toEqual({ kind: 'none' });
    expect(c.tick({ ...at(3050, 0.02), presentedFrame: { ...frame, atMs: 2000 } }).kind).toBe(
      'rate',
    );
  });
});
