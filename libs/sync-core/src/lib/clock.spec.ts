import fc from 'fast-check';
import {
  CLOCK_BURST_INTERVAL_MS,
  CLOCK_BURST_PINGS,
  CLOCK_SAMPLE_WINDOW,
  CLOCK_STEADY_INTERVAL_MS,
  CLOCK_TRUSTED_SAMPLES,
  ClockEstimator,
  nextPingDelayMs,
} from './clock';
import { createRng } from './testing/prng';
import { SimulatedNetwork, type SimulatedNetworkOptions } from './testing/simulated-network';

describe('ClockEstimator', () => {
  it('has no estimate until a sample arrives', () => {
    const c = new ClockEstimator();
    expect(c.hasEstimate).toBe(false);
    expect(c.offsetMs).toBe(0);
    expect(c.rttMs).toBe(Infinity);
    expect(c.serverNow(1000)).toBe(1000);
  });

  it('computes the NTP offset and round trip of one sample', () => {
    const c = new ClockEstimator();
    // client sends at 100, server answers at its 5060, client receives at 120
    expect(c.addSample({ t0: 100, serverTime: 5060, t3: 120 })).toBe(true);
    expect(c.offsetMs).toBe(5060 - 110);
    expect(c.rttMs).toBe(20);
    expect(c.serverNow(1000)).toBe(1000 + 4950);
  });

  it('trusts the sample with the smallest round trip among the last N (one trusted sample)', () => {
    const c = new ClockEstimator(3, 1);
    c.addSample({ t0: 0, serverTime: 1000, t3: 10 }); // rtt 10, offset 995
    c.addSample({ t0: 100, serverTime: 1200, t3: 200 }); // rtt 100
    expect(c.offsetMs).toBe(995);
    c.addSample({ t0: 300, serverTime: 1330, t3: 350 }); // rtt 50
    c.addSample({ t0: 400, serverTime: 1430, t3: 450 }); // evicts the rtt-10 sample
    expect(c.rttMs).toBe(50);
    expect(c.offsetMs).toBe(1330 - 325);
    expect(c.sampleCount).toBe(3);
  });

  it('averages the CLOCK_TRUSTED_SAMPLES smallest round trips, only those near the smallest; rttMs is the largest of them', () => {
    const c = new ClockEstimator();
    expect(CLOCK_TRUSTED_SAMPLES).toBe(3);
    c.addSample({ t0: 0, serverTime: 1005, t3: 10 }); // rtt 10, offset 1000
    c.addSample({ t0: 100, serverTime: 1300, t3: 300 }); // rtt 200, offset 1100: far above 10 * 1.25 + 2
    expect(c.offsetMs).toBe(1000);
    expect(c.rttMs).toBe(10);
    c.addSample({ t0: 400, serverTime: 1410, t3: 412 }); // rtt 12, offset 1004
    c.addSample({ t0: 500, serverTime: 1502, t3: 511 }); // rtt 11, offset 996.5
    c.addSample({ t0: 600, serverTime: 1600, t3: 614 }); // rtt 14: the fourth smallest, left out
    expect(c.offsetMs).toBeCloseTo((1000 + 1004 + 996.5) / 3, 9);
    expect(c.rttMs).toBe(12);
    // The cap is one step past: 10 * CLOCK_TRUSTED_RTT_FACTOR + CLOCK_TRUSTED_RTT_SLACK_MS = 14.5.
    const d = new ClockEstimator();
    d.addSample({ t0: 0, serverTime: 1005, t3: 10 });
    d.addSample({ t0: 100, serverTime: 1107.25, t3: 114.5 }); // rtt 14.5: in
    d.addSample({ t0: 200, serverTime: 1300, t3: 214.6 }); // rtt 14.6: out
    expect(d.offsetMs).toBeCloseTo((1000 + 1000) / 2, 9);
    expect(d.rttMs).toBe(14.5);
  });

  it('keeps CLOCK_SAMPLE_WINDOW samples by default', () => {
    const c = new ClockEstimator();
    for (let i = 0; i < CLOCK_SAMPLE_WINDOW + 12; i++) c.addSample({ t0: i, serverTime: i, t3: i + 1 });
    expect(c.sampleCount).toBe(CLOCK_SAMPLE_WINDOW);
  });

  it('rejects negative round trips and non-finite values', () => {
    const c = new ClockEstimator();
    expect(c.addSample({ t0: 10, serverTime: 5, t3: 9 })).toBe(false);
    expect(c.addSample({ t0: Number.NaN, serverTime: 5, t3: 9 })).toBe(false);
    expect(c.addSample({ t0: 0, serverTime: Infinity, t3: 9 })).toBe(false);
    expect(c.addSample({ t0: 0, serverTime: 5, t3: -Infinity })).toBe(false);
    expect(c.hasEstimate).toBe(false);
    c.addSample({ t0: 0, serverTime: 50, t3: 10 });
    c.reset();
    expect(c.hasEstimate).toBe(false);
  });

  it('schedules a burst of pings, then a steady interval', () => {
    const delays = Array.from({ length: CLOCK_BURST_PINGS + 3 }, (_, sent) => nextPingDelayMs(sent));
    expect(delays[0]).toBe(0);
    expect(delays.slice(1, CLOCK_BURST_PINGS)).toEqual(
      Array(CLOCK_BURST_PINGS - 1).fill(CLOCK_BURST_INTERVAL_MS),
    );
    expect(delays.slice(CLOCK_BURST_PINGS)).toEqual(
      Array(3).fill(CLOCK_STEADY_INTERVAL_MS),
    );
    expect(nextPingDelayMs(Number.NaN)).toBe(0);
  });

  it('property: the offset error never exceeds half the trusted round trip', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.array(
          fc.record({
            up: fc.double({ min: 0, max: 2000, noNaN: true }),
            down: fc.double({ min: 0, max: 2000, noNaN: true }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (offset, trips) => {
          const c = new ClockEstimator();
          let t = 0;
          for (const { up, down } of trips) {
            c.addSample({ t0: t, serverTime: t + up + offset, t3: t + up + down });
            t += 1000;
          }
          return (
            Math.abs(c.offsetMs - offset) <= c.rttMs / 2 + 1e-6 * Math.max(1, Math.abs(offset))
          );
        },
      ),
    );
  });
});

/** Follows the real ping schedule over a simulated link; returns the worst error seen. */
function runLink(
  seed: number,
  link: Omit<SimulatedNetworkOptions, 'rng'>,
  durationMs: number,
  clock = new ClockEstimator(),
) {
  const net = new SimulatedNetwork({ rng: createRng(seed), ...link });
  const replies: Array<{ t0: number; serverTime: number; t3: number }> = [];
  let worstRatio = 0;
  let worstErrorMs = 0;
  let minRtt = Infinity;
  let firstEstimateMs = Infinity;
  for (let t = 0, sent = 0; t < durationMs; sent++) {
    const s = net.ping(t);
    if (s) replies.push(s);
    t += nextPingDelayMs(sent + 1);
    // deliver every answer that arrived before the next ping, then check the estimate
    for (const r of replies.filter((x) => x.t3 <= t)) {
      clock.addSample(r);
      minRtt = Math.min(minRtt, r.t3 - r.t0);
      firstEstimateMs = Math.min(firstEstimateMs, r.t3);
      const err = Math.abs(clock.offsetMs - net.trueOffsetAt(r.t3));
      worstErrorMs = Math.max(worstErrorMs, err);
      worstRatio = Math.max(worstRatio, err / (clock.rttMs / 2));
    }
    replies.splice(0, replies.length, ...replies.filter((x) => x.t3 > t));
  }
  const finalErrorMs = Math.abs(clock.offsetMs - net.trueOffsetAt(durationMs));
  return {
    worstErrorMs,
    worstRatio,
    minRtt,
    firstEstimateMs,
    finalErrorMs,
    finalRttMs: clock.rttMs,
  };
}

describe('ClockEstimator over a simulated network', () => {
  const links: Array<[string, Omit<SimulatedNetworkOptions, 'rng'>]> = [
    [
      'asymmetric 10/60 ms, jitter, 20 % loss',
      {
        up: { min: 8, typical: 10, max: 40 },
        down: { min: 45, typical: 60, max: 250 },
        dropRate: 0.2,
        serverOffsetMs: 1_234_567,
      },
    ],
    [
      'mobile: 40-400 ms, 40 % loss, 50 ppm drift',
      {
        up: { min: 40, typical: 80, max: 400 },
        down: { min: 20, typical: 50, max: 300 },
        dropRate: 0.4,
        serverOffsetMs: -98_765,
        serverDriftPpm: 50,
      },
    ],
    [
      'LAN 1-3 ms',
      {
        up: { min: 0.5, typical: 1, max: 3 },
        down: { min: 0.5, typical: 1, max: 3 },
        serverOffsetMs: 42,
      },
    ],
  ];

  // "Minimum round trip" = the smallest one among the samples it holds, which it trusts.
  it.each(links)('%s: error stays under half the minimum round trip', (name, link) => {
    const rows = Array.from({ length: 10 }, (_, i) => runLink(i + 1, link, 60_000));
    for (const r of rows) {
      expect(r.worstRatio).toBeLessThan(1);
      expect(r.finalErrorMs).toBeLessThan(r.finalRttMs / 2);
      expect(r.firstEstimateMs).toBeLessThan(1000); // the burst copes with loss
    }
    const worst = Math.max(...rows.map((r) => r.worstErrorMs));
    const final = Math.max(...rows.map((r) => r.finalErrorMs));
    console.log(
      `clock, ${name}: worst offset error ${worst.toFixed(2)} ms, after 60 s ${final.toFixed(2)} ms, min rtt ${Math.min(...rows.map((r) => r.minRtt)).toFixed(1)} ms, first estimate after ${Math.max(...rows.map((r) => r.firstEstimateMs)).toFixed(0)} ms`,
    );
  });

  it('a path whose delays jitter each way (70-130 ms): the mean of the lowest three round trips beats the lowest one alone', () => {
    const link = { up: { min: 70, typical: 100, max: 130 }, down: { min: 70, typical: 100, max: 130 }, serverOffsetMs: 5000 };
    const p95Of = (trusted: number, durationMs: number) => {
      const errs = Array.from({ length: 300 }, (_, i) => runLink(i + 1, link, durationMs, new ClockEstimator(CLOCK_SAMPLE_WINDOW, trusted)).finalErrorMs);
      return errs.sort((a, b) => a - b)[Math.floor(0.95 * (errs.length - 1))];
    };
    for (const durationMs of [5_000, 60_000]) {
      const one = p95Of(1, durationMs);
      const three = p95Of(CLOCK_TRUSTED_SAMPLES, durationMs);
      console.log(`clock, 100 ± 30 ms each way, after ${durationMs / 1000} s: |error| p95 ${one.toFixed(2)} ms (lowest) vs ${three.toFixed(2)} ms (mean of ${CLOCK_TRUSTED_SAMPLES})`);
      expect(three).toBeLessThan(one * 0.9);
    }
  });
});
