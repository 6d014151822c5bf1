import {
  convergenceMs,
  type FollowerSimulationOptions,
  type GroupCommand,
  percentile,
  type SimulationResult,
  simulateFollower,
} from './testing/follower-harness';
import { FollowerController } from './follower';
import { SEEK_ONLY_REFINE_S } from './follower-tuning';
import { fixedDelay } from './testing/prng';
import { FIREFOX_LIKE, type SimulatedPlayerOptions, WEBKIT_LIKE } from './testing/simulated-player';

/**
 * The same follower against the three engines measured in issue 15: Chromium-like (the
 * default player), Firefox-like (reads jitter ±10-30 ms around a smooth clock) and
 * WebKit-like (rate writes freeze reads 100-500 ms and are dropped during and ~300 ms after
 * a seek; a seek right after a rate write may land at double). Errors are the true media
 * time against the true group position. Goals (issue 15): steady |error| p95 < 10 ms in
 * Chromium, < 20 ms in Firefox and WebKit, at most ~2 rate writes a second in steady state.
 */
const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
const LIMIT_MS = 10;
/** "Steady": from this long after a command until the next one, group playing. */
const STEADY_AFTER_MS = 1000;
/** Rate writes are counted in steady state from this long after a command (no resync in it). */
const WRITES_AFTER_MS = 3000;

const PROFILES = [
  { name: 'chromium', player: {}, p95Ms: 10, steadyAfterMs: STEADY_AFTER_MS },
  { name: 'firefox', player: FIREFOX_LIKE, p95Ms: 20, steadyAfterMs: STEADY_AFTER_MS },
  // WebKit pays for every rate write with a 100-250 ms stall: the two writes that teach the
  // follower so (on the first play) and the rate change itself. Steady means 3 s after a
  // command here, as in the browser suite.
  { name: 'webkit', player: WEBKIT_LIKE, p95Ms: 20, steadyAfterMs: 3000 },
] as const;

const MAIN: GroupCommand[] = [
  { atMs: 500, action: 'play' },
  { atMs: 6000, action: 'seek', position: 25.5 },
  { atMs: 12000, action: 'rate', rate: 1.5 },
  { atMs: 18000, action: 'pause' },
  { atMs: 20000, action: 'play' },
];

/**
 * More rates. At 4x a timed play() that lands ±12 ms off in wall time is ±48 ms of media,
 * and a seek-only player pays each resync's pause four times over: the issue's bounds are
 * for 1-1.5x, so at 4x only the write rate is asserted (the errors are printed).
 */
const EXTRA: Array<[string, GroupCommand[], number, boolean]> = [
  [
    '0.5x, then a seek back',
    [
      { atMs: 500, action: 'play' },
      { atMs: 6000, action: 'rate', rate: 0.5 },
      { atMs: 12000, action: 'seek', position: 2 },
    ],
    18000,
    true,
  ],
  [
    '4x start, seek (errors printed only)',
    [
      { atMs: 200, action: 'rate', rate: 4 },
      { atMs: 500, action: 'play' },
      { atMs: 6000, action: 'seek', position: 600 },
    ],
    12000,
    false,
  ],
];

interface EngineStats {
  p50: number;
  p95: number;
  max: number;
  convergeP50: number;
  convergeMax: number;
  /** Every rate write, resyncs included, per minute of simulation. */
  writesPerMin: number;
  /** Rate writes per minute of steady play (>= 3 s after a command, group playing). */
  steadyWritesPerMin: number;
}

function run(
  commands: GroupCommand[],
  durationMs: number,
  extra: Partial<FollowerSimulationOptions>,
  steadyAfterMs = STEADY_AFTER_MS,
): { runs: SimulationResult[]; stats: EngineStats } {
  const commandAt = (nowMs: number): number =>
    commands.filter((c) => c.atMs <= nowMs).pop()?.atMs ?? Number.NEGATIVE_INFINITY;
  let steadyWrites = 0;
  const runs = SEEDS.map((seed) =>
    simulateFollower({
      seed,
      durationMs,
      commands,
      ...extra,
      onTick: (input, action) => {
        if (
          action.kind === 'rate' &&
          input.groupPlaying &&
          input.nowMs - commandAt(input.nowMs) >= WRITES_AFTER_MS
        )
          steadyWrites++;
      },
    }),
  );
  const abs = runs.flatMap((r) =>
    r.ticks
      .filter((t) => t.command >= 0 && t.groupPlaying && t.sinceCommandMs >= steadyAfterMs)
      .map((t) => Math.abs(t.errorMs)),
  );
  const steadyMs = runs.reduce(
    (n, r) =>
      n +
      r.ticks.filter((t) => t.groupPlaying && t.command >= 0 && t.sinceCommandMs >= WRITES_AFTER_MS)
        .length *
        50,
    0,
  );
  const playing = commands.flatMap((c, i) =>
    runs[0].ticks.find((t) => t.command === i && t.sinceCommandMs > 500)?.groupPlaying ? [i] : [],
  );
  const conv = runs.flatMap((r) => playing.map((i) => convergenceMs(r.ticks, i, LIMIT_MS)));
  return {
    runs,
    stats: {
      p50: percentile(abs, 50),
      p95: percentile(abs, 95),
      max: Math.max(...abs),
      convergeP50: percentile(conv, 50),
      convergeMax: Math.max(...conv),
      writesPerMin:
        runs.reduce((n, r) => n + r.player.calls.rate, 0) / runs.length / (durationMs / 60_000),
      steadyWritesPerMin: steadyMs > 0 ? steadyWrites / (steadyMs / 60_000) : 0,
    },
  };
}

const report = (name: string, s: EngineStats): void =>
  console.log(
    `${name}: steady |error| p50 ${s.p50.toFixed(2)} / p95 ${s.p95.toFixed(2)} / max ${s.max.toFixed(2)} ms; ` +
      `within ${LIMIT_MS} ms after p50 ${s.convergeP50.toFixed(0)} / max ${s.convergeMax.toFixed(0)} ms; ` +
      `${s.writesPerMin.toFixed(1)} rate writes/min in all, ${s.steadyWritesPerMin.toFixed(1)}/min in steady play`,
  );

/** The main scenario's runs per engine, shared by the accuracy and the learning checks. */
const mainRuns = new Map<string, ReturnType<typeof run>>();
const runMain = (
  name: string,
  player: FollowerSimulationOptions['player'],
  steadyAfterMs = STEADY_AFTER_MS,
): ReturnType<typeof run> => {
  const cached = mainRuns.get(name);
  if (cached !== undefined) return cached;
  const result = run(MAIN, 26000, { player }, steadyAfterMs);
  mainRuns.set(name, result);
  return result;
};

describe('one follower, three engines (simulated)', () => {
  describe.each(PROFILES)('$name-like player', ({ name, player, p95Ms, steadyAfterMs }) => {
    it(`play, +20 s seek, 1.5x, pause, resume: p95 < ${p95Ms} ms, <= 2 rate writes/s`, () => {
      const { runs, stats } = runMain(name, player, steadyAfterMs);
      report(`${name}: start, +20 s seek, 1.5x, pause, resume`, stats);
      expect(stats.p95).toBeLessThan(p95Ms);
      expect(stats.steadyWritesPerMin).toBeLessThanOrEqual(120);
      for (const r of runs) {
        // No seek ever follows a rate write in the same tick, so none lands at double.
        expect(r.player.quirkCounts.doubled).toBe(0);
        // Paused: exactly on the group position, in every engine.
        for (const t of r.ticks)
          if (!t.groupPlaying && t.command >= 0 && t.sinceCommandMs >= STEADY_AFTER_MS)
            expect(Math.abs(t.errorMs)).toBeLessThan(1e-6);
      }
    });

    it.each(EXTRA)('%s', (scenario, commands, durationMs, p95Asserted) => {
      const { stats } = run(commands, durationMs, { player }, steadyAfterMs);
      report(`${name}: ${scenario}`, stats);
      if (p95Asserted) expect(stats.p95).toBeLessThan(p95Ms);
      expect(stats.steadyWritesPerMin).toBeLessThanOrEqual(120);
    });
  });

  it('learns each engine from what it reads: exact reads steer, noisy reads are filtered, freezing rate writes go seek-only', () => {
    const learned = PROFILES.map(({ name, player, steadyAfterMs }) => {
      const { runs } = runMain(name, player, steadyAfterMs);
      const steer = runs.filter((r) => r.controller.strategy === 'steer').length;
      const noise = percentile(
        runs.map((r) => r.controller.readNoiseMs),
        50,
      );
      console.log(
        `${name}: ${steer}/${runs.length} runs steer, read noise p50 ${noise.toFixed(1)} ms, ` +
          `${runs.reduce((n, r) => n + r.controller.droppedRateWrites, 0)} dropped rate writes seen, ` +
          `${runs.reduce((n, r) => n + r.player.quirkCounts.dropped, 0)} made`,
      );
      return { name, steer, noise, runs };
    });
    const [chromium, firefox, webkit] = learned;
    expect(chromium.steer).toBe(SEEDS.length);
    expect(chromium.noise).toBeLessThan(1e-6); // float rounding only
    expect(firefox.steer).toBe(SEEDS.length);
    expect(firefox.noise).toBeGreaterThan(5);
    expect(webkit.noise).toBeLessThan(1e-6);
    expect(webkit.steer).toBeLessThan(SEEDS.length / 4);
  });

  it.each([
    ['its first correction dropped (too soon after the seek)', WEBKIT_LIKE],
    ['its first correction taken, right at the start', { ...WEBKIT_LIKE, rateDropAfterSeekMs: 0 }],
  ])('WebKit, %s: the first play in a fresh browser (nothing learned) is within 20 ms (p95) from 3 s after play, in every run', (variant, player) => {
    // Issue 15: a fresh follower starts ~70 ms ahead (Chromium's 85 ms play latency against
    // WebKit's ~10) and steers; every write stalls the clock, often too briefly for two tick
    // reads to be equal. It must know it is seek-only, with its latency, before 3 s.
    const perRun = SEEDS.map((seed) => {
      const r = simulateFollower({
        seed,
        durationMs: 8600,
        commands: [{ atMs: 500, action: 'play' }],
        player,
      });
      const errs = r.ticks
        .filter((t) => t.command === 0 && t.sinceCommandMs >= 3000)
        .map((t) => Math.abs(t.errorMs));
      return { p95: percentile(errs, 95), strategy: r.controller.strategy, writes: r.player.calls.rate };
    });
    const p95s = perRun.map((r) => r.p95);
    console.log(
      `webkit-like fresh first play, ${variant}, per-run p95 from 3 s: p50 ${percentile(p95s, 50).toFixed(1)} / ` +
        `max ${Math.max(...p95s).toFixed(1)} ms; ${perRun.filter((r) => r.strategy === 'seek-only').length}/${perRun.length} seek-only, ` +
        `rate writes per run max ${Math.max(...perRun.map((r) => r.writes))}`,
    );
    for (const r of perRun) expect(r.p95).toBeLessThan(20);
    expect(perRun.every((r) => r.strategy === 'seek-only')).toBe(true);
  });

  it('Firefox: reads that step every 40 ms keep the element ~20 ms ahead unless the steps are seen (looks every animation frame)', () => {
    const signedMedian = (extra: Partial<FollowerSimulationOptions>): number => {
      const errs = SEEDS.slice(0, 10).flatMap((seed) =>
        simulateFollower({
          seed,
          durationMs: 8000,
          commands: [{ atMs: 500, action: 'play' }],
          player: FIREFOX_LIKE,
          ...extra,
        })
          .ticks.filter((t) => t.command === 0 && t.sinceCommandMs >= 3000)
          .map((t) => t.errorMs),
      );
      return percentile(errs, 50);
    };
    const blind = signedMedian({ observeEveryMs: 0 });
    const seen = signedMedian({});
    console.log(
      `firefox-like, signed median error: ticks only ${blind.toFixed(1)} ms, with per-frame looks ${seen.toFixed(1)} ms`,
    );
    expect(blind).toBeGreaterThan(12);
    expect(Math.abs(seen)).toBeLessThan(5);
  });
});

describe('a seek-only start that settles off, within the band (SEEK_ONLY_REFINE_S)', () => {
  // play() takes 12 ms where the follower believes 2: every start settles 10 ms behind, inside
  // the 15 ms band, for as long as the scene runs.
  const player: Omit<SimulatedPlayerOptions, 'rng'> = {
    playLatency: fixedDelay(12),
    seekedDelay: fixedDelay(60),
  };
  const run = (pinL: boolean) => {
    const controller = new FollowerController({ playLatencyMs: 2 });
    controller.strategy = 'seek-only';
    const r = simulateFollower({
      seed: 7,
      durationMs: 8000,
      commands: [{ atMs: 500, action: 'play' }],
      player,
      controller,
      tickJitter: fixedDelay(0),
      timerLateness: fixedDelay(0),
      // Pinned: every start lands 10 ms off, the refine too.
      onTick: pinL ? () => (controller.playLatencyMs = 2) : undefined,
    });
    const late = r.ticks.filter((t) => t.command === 0 && t.sinceCommandMs >= 3000).map((t) => t.errorMs);
    return { r, controller, late };
  };

  it('is started once more at once, with L corrected: the rest of the scene is on time', () => {
    const { r, controller, late } = run(false);
    expect(SEEK_ONLY_REFINE_S).toBeLessThan(0.01);
    expect(r.actions.seek).toBe(2);
    expect(controller.playLatencyMs).toBeGreaterThan(9);
    expect(percentile(late.map(Math.abs), 95)).toBeLessThan(3);
  });

  it('once only: a refine that lands off again is left alone, no loop of pauses', () => {
    const { r, late } = run(true);
    expect(r.actions.seek).toBe(2);
    expect(percentile(late, 50)).toBeGreaterThan(-12);
    expect(percentile(late, 50)).toBeLessThan(-8);
  });
});

describe('a fresh WebKit whose first play() is cold (firstPlayExtraMs)', () => {
  // Measured on fresh WebKitGTK pages: the first start takes 10-22 ms, later ones ~0-2 ms. L
  // learns the cold start, so the first seek-only start lands that much ahead.
  const run = (seed: number, coldMs: number) => {
    const r = simulateFollower({
      seed,
      durationMs: 9000,
      commands: [{ atMs: 500, action: 'play' }],
      player: { ...WEBKIT_LIKE, playLatency: { min: 0, typical: 1, max: 2 }, firstPlayExtraMs: coldMs },
    });
    return r.ticks
      .filter((t) => t.command === 0 && t.sinceCommandMs >= 3000 && t.sinceCommandMs < 8000)
      .map((t) => Math.abs(t.errorMs));
  };

  it.each([10, 16, 22])('cold by %d ms: 3-8 s after play |error| p95 < 6 ms', (coldMs) => {
    const p95s = SEEDS.slice(0, 12).map((seed) => percentile(run(seed, coldMs), 95));
    console.log(`webkit cold first play +${coldMs} ms, p95 per seed: ${p95s.map((v) => v.toFixed(1)).join(' ')}`);
    expect(percentile(p95s, 50)).toBeLessThan(6);
    expect(Math.max(...p95s)).toBeLessThan(20);
  });
});

describe('a seek-only start that settles ahead: a hold (HOLD_MIN_WAIT_MS, HOLD_MAX_S)', () => {
  // The follower believes L = believedL where play() takes takesMs: every start lands the
  // difference off, inside the band. Refines by resync are off (seekOnlyRefineWithinMs 0): what
  // is left is the hold.
  const run = (believedL: number, takesMs: number) => {
    const controller = new FollowerController({ playLatencyMs: believedL, seekOnlyRefineWithinMs: 0 });
    controller.strategy = 'seek-only';
    const r = simulateFollower({
      seed: 3,
      durationMs: 8000,
      commands: [{ atMs: 500, action: 'play' }],
      player: { playLatency: fixedDelay(takesMs), seekedDelay: fixedDelay(60) },
      controller,
      tickJitter: fixedDelay(0),
      timerLateness: fixedDelay(0),
    });
    const late = r.ticks.filter((t) => t.command === 0 && t.sinceCommandMs >= 2000).map((t) => t.errorMs);
    return { r, controller, late };
  };

  it('11 ms ahead: pauses for the error only (no second seek), plays on time, the rest of the scene is on time', () => {
    const { r, controller, late } = run(12, 1);
    expect(r.actions.hold).toBe(1);
    expect(r.actions.seek).toBe(1);
    expect(controller.holdCount).toBe(1);
    expect(controller.playLatencyMs).toBeLessThan(4);
    expect(percentile(late.map(Math.abs), 95)).toBeLessThan(3);
  });

  it('not behind (a hold cannot win time back): 11 ms behind stays within the band', () => {
    const { r, late } = run(1, 12);
    expect(r.actions.hold).toBe(0);
    expect(r.actions.seek).toBe(1);
    expect(percentile(late, 50)).toBeLessThan(-8);
  });

  it('not where play() alone takes longer than the error (L 30 ms, 10 ms ahead)', () => {
    const { r, late } = run(40, 30);
    expect(r.actions.hold).toBe(0);
    expect(r.actions.seek).toBe(1);
    expect(percentile(late, 50)).toBeGreaterThan(8);
  });
});

describe('a WebKit that does not stall on every rate write (CLEAN_PROBES_AFTER_STALL)', () => {
  // The probe after the first counted stall passes clean; without a second probe the next
  // stall came with an ordinary steering write 1-2.5 s later, and the switch to seek-only (and
  // its resync) fell inside the 3-8 s window.
  it('a clean probe after a counted stall is followed by another: seek-only within ~2.5 s of play, p95 < 20 ms from 3 s', () => {
    const rows = SEEDS.slice(0, 12).map((seed) => {
      const r = simulateFollower({
        seed,
        durationMs: 9000,
        commands: [{ atMs: 500, action: 'play' }],
        player: { ...WEBKIT_LIKE, rateWriteStallPattern: [true, false, true, false, false, true] },
      });
      const counted = r.controller.stalls.filter((s) => s.verdict === 'counted');
      const errs = r.ticks.filter((t) => t.sinceCommandMs >= 3000).map((t) => Math.abs(t.errorMs));
      return { strategy: r.controller.strategy, switchAtMs: counted[1]?.writeAtMs ?? Infinity, p95: percentile(errs, 95) };
    });
    console.log(`stalls on 3 writes in 6: second counted stall at ${rows.map((r) => r.switchAtMs.toFixed(0)).join(' ')} ms, p95 ${rows.map((r) => r.p95.toFixed(1)).join(' ')}`);
    for (const row of rows) {
      expect(row.strategy).toBe('seek-only');
      expect(row.switchAtMs).toBeLessThan(2600);
      expect(row.p95).toBeLessThan(20);
    }
  });
});

describe('a page starved of CPU right after a rate write (STALL_MAX_TICK_GAP_MS)', () => {
  // Seen once on a fresh WebKitGTK page (1 run in 18): a logged tick gap of 916 ms after the
  // first steering write, the clock lost 1.15 s, and the switch to seek-only came 4.3 s after
  // play (p95 174 ms in the 3-8 s window). A later run with the same signature showed that such
  // a gap can be the resync itself (no steady tick during one; no longer counted) and the clock
  // standing still on its own: that case is the STALL_DECISIVE_FREEZE_MS test below. These guard
  // both sides of the starved-page rule.
  const run = (
    seed: number,
    player: Omit<SimulatedPlayerOptions, 'rng'>,
    mediaStallMs: number,
    tuning: FollowerSimulationOptions['tuning'] = {},
  ) => {
    const r = simulateFollower({
      seed,
      durationMs: 9000,
      commands: [{ atMs: 500, action: 'play' }],
      player,
      tuning,
      starve: { afterRateWrite: 1, forMs: 900, mediaStallMs },
    });
    const counted = r.controller.stalls.filter((s) => s.verdict === 'counted');
    const errs = r.ticks.filter((t) => t.sinceCommandMs >= 3000).map((t) => Math.abs(t.errorMs));
    return { r, counted, p95: percentile(errs, 95) };
  };

  it('WebKit, the clock lost 1.15 s over a 0.9 s starvation: seek-only ~2.2 s after play, p95 < 20 ms from 3 s', () => {
    const rows = SEEDS.slice(0, 12).map((seed) => run(seed, WEBKIT_LIKE, 1150));
    console.log(
      `starved 900 ms, clock lost 1150 ms: second counted stall at ${rows.map((x) => (x.counted[1]?.writeAtMs ?? Infinity).toFixed(0)).join(' ')} ms, p95 ${rows.map((x) => x.p95.toFixed(1)).join(' ')}`,
    );
    for (const row of rows) {
      expect(row.r.controller.strategy).toBe('seek-only');
      expect(row.counted[1]?.writeAtMs ?? Infinity).toBeLessThan(2700);
      expect(row.p95).toBeLessThan(20);
    }
  });

  it('Chromium, the clock stood still while the page starved: the write is not blamed, steering goes on', () => {
    // L believed 20 ms short: the start lands behind and steering writes the rate at once.
    for (const seed of SEEDS.slice(0, 12)) {
      const { r, counted } = run(seed, {}, 900, { playLatencyMs: 65 });
      expect(r.actions.rate).toBeGreaterThan(0);
      expect(counted).toEqual([]);
      expect(r.controller.strategy).toBe('steer');
    }
  });
});

describe('WebKit: the first steering write stops the clock for 0.7-1.8 s, the page on time (STALL_DECISIVE_FREEZE_MS)', () => {
  // Seen on a fresh WebKitGTK page (1 run in 12): the first write, right after the start, froze
  // the reads 1.2+ s while the page's ticks kept time. The first two starts wait ~420 ms for a
  // frame callback that never comes (the web engine's START_FRAME_WAIT_MS), as there. Before,
  // the follower resynced after 1.2 s, gave its probe up for the time that took, and steered on.
  it.each([700, 1250, 1800])('%d ms: seek-only at once, p95 < 20 ms from 3 s after play', (stallMs) => {
    const rows = SEEDS.slice(0, 12).map((seed) => {
      const r = simulateFollower({
        seed,
        durationMs: 9000,
        commands: [{ atMs: 500, action: 'play' }],
        player: WEBKIT_LIKE,
        starve: { afterRateWrite: 1, forMs: 0, mediaStallMs: stallMs },
        startGate: { forMs: 420, starts: 2 },
      });
      const errs = r.ticks.filter((t) => t.sinceCommandMs >= 3000).map((t) => Math.abs(t.errorMs));
      return { r, p95: percentile(errs, 95) };
    });
    console.log(`first write stalls ${stallMs} ms: p95 ${rows.map((x) => x.p95.toFixed(1)).join(' ')}; stalls ${rows[0].r.controller.stalls.map((s) => `${s.writeAtMs.toFixed(0)}:${s.how}/${s.verdict} gap ${s.tickGapMs.toFixed(0)}`).join(' ')}`);
    for (const row of rows) {
      expect(row.r.controller.strategy).toBe('seek-only');
      expect(row.p95).toBeLessThan(20);
    }
  });
});

describe('a probe due when the group pauses is made once the clock runs again (STALL_PROBE_GIVE_UP_MS)', () => {
  it('the wait restarts at the next start: a 2.5 s pause does not give it up', () => {
    // L believed 20 ms short: the start lands behind and steering writes the rate at once; that
    // write stalls the clock 300 ms (only a suspicion, so right after the start), and the group
    // pauses during the stall.
    const controller = new FollowerController({ playLatencyMs: 65 });
    const probeWrites: number[] = [];
    const r = simulateFollower({
      seed: 5,
      durationMs: 6000,
      commands: [
        { atMs: 500, action: 'play' },
        { atMs: 1200, action: 'pause' },
        { atMs: 3700, action: 'play' },
      ],
      player: {},
      controller,
      tickJitter: fixedDelay(0),
      timerLateness: fixedDelay(0),
      starve: { afterRateWrite: 1, forMs: 0, mediaStallMs: 300 },
      onTick: (input, action) => {
        if (action.kind === 'rate' && (controller as unknown as { probeWrite: boolean }).probeWrite) probeWrites.push(input.nowMs);
      },
    });
    const verdicts = r.controller.stalls.map((s) => s.verdict);
    console.log(
      `probe across a pause: stalls ${r.controller.stalls.map((s) => `${s.writeAtMs.toFixed(0)}:${s.verdict} gap ${s.tickGapMs.toFixed(0)}`).join(' ')}; probes at ${probeWrites.join(' ')}`,
    );
    expect(verdicts[0]).toBe('early');
    expect(verdicts).not.toContain('probe-dropped-late');
    expect(probeWrites.filter((t) => t > 3700)).toHaveLength(1);
  });
});
