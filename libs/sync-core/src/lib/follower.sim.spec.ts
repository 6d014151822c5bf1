import fc from 'fast-check';
import { MAX_RATE_DEVIATION } from './follower-tuning';
import {
  convergenceMs,
  type FollowerSimulationOptions,
  type GroupCommand,
  percentile,
  type SimulationResult,
  simulateFollower,
} from './testing/follower-harness';

/**
 * Simulated Chromium followers (play() +73-96 ms, seeks resume +111-225 ms, rate writes
 * +75-95 ms, states delivered 10-60 ms late, 50 ms ticks, late timers). Requirement: within
 * 10 ms of the true group position within 1 s of every command, and on every tick after that.
 */
const LIMIT_MS = 10;
const CONVERGE_MS = 1000;
const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

interface Stats {
  p50: number;
  p95: number;
  p95After3s: number;
  max: number;
  convergeP50: number;
  convergeMax: number;
  rateWritesPerMin: number;
}

function run(
  commands: GroupCommand[],
  durationMs: number,
  extra: Partial<FollowerSimulationOptions> = {},
): { runs: SimulationResult[]; stats: Stats } {
  const runs = SEEDS.map((seed) => simulateFollower({ seed, durationMs, commands, ...extra }));
  const settled = runs.flatMap((r) =>
    r.ticks.filter((t) => t.command >= 0 && t.groupPlaying && t.sinceCommandMs >= CONVERGE_MS),
  );
  const abs = settled.map((t) => Math.abs(t.errorMs));
  const after3 = settled.filter((t) => t.sinceCommandMs >= 3000).map((t) => Math.abs(t.errorMs));
  const playing = commands.flatMap((c, i) =>
    runs[0].ticks.find((t) => t.command === i && t.sinceCommandMs > 500)?.groupPlaying ? [i] : [],
  );
  const conv = runs.flatMap((r) => playing.map((i) => convergenceMs(r.ticks, i, LIMIT_MS)));
  const rateWrites = runs.reduce((n, r) => n + r.actions.rate, 0);
  return {
    runs,
    stats: {
      p50: percentile(abs, 50),
      p95: percentile(abs, 95),
      p95After3s: percentile(after3, 95),
      max: Math.max(...abs),
      convergeP50: percentile(conv, 50),
      convergeMax: Math.max(...conv),
      rateWritesPerMin: rateWrites / runs.length / (durationMs / 60_000),
    },
  };
}

const report = (name: string, s: Stats): void =>
  console.log(
    `${name}: |error| p50 ${s.p50.toFixed(2)} / p95 ${s.p95.toFixed(2)} / max ${s.max.toFixed(2)} ms ` +
      `(p95 excluding 3 s after events ${s.p95After3s.toFixed(2)} ms); within ${LIMIT_MS} ms after ` +
      `p50 ${s.convergeP50.toFixed(0)} / max ${s.convergeMax.toFixed(0)} ms; ${s.rateWritesPerMin.toFixed(1)} rate writes/min`,
  );

/** Every tick from CONVERGE_MS after each command until the next is within LIMIT_MS. */
function expectHeld(runs: SimulationResult[], commands: GroupCommand[]): void {
  for (const r of runs) {
    for (let i = 0; i < commands.length; i++) {
      const late = r.ticks.filter((t) => t.command === i && t.sinceCommandMs >= CONVERGE_MS);
      const worst = Math.max(0, ...late.map((t) => Math.abs(t.errorMs)));
      expect({ command: commands[i], worst: worst <= LIMIT_MS ? 'ok' : worst }).toEqual({
        command: commands[i],
        worst: 'ok',
      });
    }
  }
}

describe('simulated follower accuracy', () => {
  const scenarios: Array<[string, GroupCommand[], number]> = [
    [
      'start, +20 s seek, 1.5x, pause, resume',
      [
        { atMs: 500, action: 'play' },
        { atMs: 6000, action: 'seek', position: 25.5 },
        { atMs: 12000, action: 'rate', rate: 1.5 },
        { atMs: 18000, action: 'pause' },
        { atMs: 20000, action: 'play' },
      ],
      26000,
    ],
    [
      '0.5x, then a seek back',
      [
        { atMs: 500, action: 'play' },
        { atMs: 6000, action: 'rate', rate: 0.5 },
        { atMs: 12000, action: 'seek', position: 2 },
      ],
      18000,
    ],
    [
      '0.25x start, seek',
      [
        { atMs: 200, action: 'rate', rate: 0.25 },
        { atMs: 500, action: 'play' },
        { atMs: 6000, action: 'seek', position: 60 },
      ],
      12000,
    ],
    [
      '4x start, seek',
      [
        { atMs: 200, action: 'rate', rate: 4 },
        { atMs: 500, action: 'play' },
        { atMs: 6000, action: 'seek', position: 600 },
      ],
      12000,
    ],
  ];

  it.each(scenarios)(
    '%s: within 10 ms 1 s after each command, and every tick after',
    (name, commands, durationMs) => {
      const { runs, stats } = run(commands, durationMs);
      report(name, stats);
      expectHeld(runs, commands);
      expect(stats.convergeMax).toBeLessThanOrEqual(CONVERGE_MS);
      // paused: exactly on the group position
      for (const r of runs)
        for (const t of r.ticks)
          if (!t.groupPlaying && t.command >= 0 && t.sinceCommandMs >= CONVERGE_MS)
            expect(Math.abs(t.errorMs)).toBeLessThan(1e-6);
    },
  );

  it('learns a play() latency far from the default (150 ms instead of 85)', () => {
    const commands: GroupCommand[] = [{ atMs: 500, action: 'play' }];
    for (let t = 3000; t < 24000; t += 3000)
      commands.push({ atMs: t, action: 'seek', position: t / 100 });
    const { runs, stats } = run(commands, 27000, {
      player: { playLatency: { min: 140, typical: 150, max: 160 } },
    });
    report('play latency 150 ms', stats);
    for (const r of runs) expect(Math.abs(r.controller.playLatencyMs - 150)).toBeLessThan(10);
    // from the 4th resync on, starts are as good as with a known latency
    expectHeld(
      runs.map((r) => ({ ...r, ticks: r.ticks.filter((t) => t.command >= 3) })),
      commands,
    );
  });

  it('learns a slow seek (HLS fetch, 300-600 ms) and still converges', () => {
    const commands: GroupCommand[] = [
      { atMs: 500, action: 'play' },
      { atMs: 8000, action: 'seek', position: 100 },
    ];
    const { runs } = run(commands, 14000, {
      player: { seekedDelay: { min: 300, typical: 400, max: 600 } },
    });
    for (const r of runs) {
      expect(r.controller.seekLeadMs).toBeGreaterThan(300);
      expect(convergenceMs(r.ticks, 1, LIMIT_MS)).toBeLessThan(2500);
    }
  });

  it('end to end with a learned clock (LAN link, 20 % ping loss)', () => {
    const commands: GroupCommand[] = [
      { atMs: 1000, action: 'play' },
      { atMs: 7000, action: 'seek', position: 50 },
      { atMs: 13000, action: 'rate', rate: 1.5 },
    ];
    const network = {
      up: { min: 0.5, typical: 1, max: 4 },
      down: { min: 0.5, typical: 1.5, max: 6 },
      dropRate: 0.2,
      serverOffsetMs: 1_700_000_000_000,
    };
    const { runs, stats } = run(commands, 19000, { network });
    report('with clock estimator over a 1-10 ms LAN', stats);
    expectHeld(runs, commands);
  });

  it('property: steering stays within ±5 % of the group rate along random command scripts', () => {
    const cmd = fc.oneof(
      fc.constantFrom<GroupCommand['action']>('play', 'pause').map((action) => ({ action })),
      fc
        .double({ min: 0, max: 1000, noNaN: true })
        .map((position) => ({ action: 'seek' as const, position })),
      fc
        .double({ min: 0.25, max: 4, noNaN: true })
        .map((rate) => ({ action: 'rate' as const, rate })),
    );
    const script = fc.array(fc.tuple(fc.integer({ min: 50, max: 3000 }), cmd), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), script, (seed, steps) => {
        let at = 0;
        const commands = steps.map(([gap, c]) => ({ ...c, atMs: (at += gap) }) as GroupCommand);
        let ok = true;
        simulateFollower({
          seed,
          commands,
          durationMs: at + 3000,
          onTick: (input, a) => {
            const lo = input.groupRate * (1 - MAX_RATE_DEVIATION) * (1 - 1e-12);
            const hi = input.groupRate * (1 + MAX_RATE_DEVIATION) * (1 + 1e-12);
            if (a.kind === 'rate' && !(a.rate >= lo && a.rate <= hi)) ok = false;
            if (a.kind === 'seek' && !(a.rate === input.groupRate && a.position >= 0)) ok = false;
          },
        });
        return ok;
      }),
      { numRuns: 60 },
    );
  });
});
