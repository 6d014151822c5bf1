import fc from 'fast-check';
import { initialPlaybackState, isNewer, positionAt, type PlaybackState } from './playback';

const stateArb = (playing: boolean): fc.Arbitrary<PlaybackState> =>
  fc.record({
    playing: fc.constant(playing),
    position: fc.double({ min: 0, max: 1e6, noNaN: true }),
    rate: fc.double({ min: 0.25, max: 4, noNaN: true }),
    at: fc.double({ min: 0, max: 4e12, noNaN: true }),
    rev: fc.nat(),
    by: fc.constant(null),
    action: fc.constant('play' as const),
  });
const offsetArb = fc.double({ min: -1e9, max: 1e9, noNaN: true });

describe('positionAt', () => {
  it('equals the position at `at`', () => {
    fc.assert(fc.property(fc.boolean().chain(stateArb), (s) => positionAt(s, s.at) === s.position));
  });

  it('never goes back before `at` (a late or skewed clock reads the stamped position)', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain(stateArb),
        fc.double({ min: 0, max: 1e12, noNaN: true }),
        (s, before) => positionAt(s, s.at - before) === s.position,
      ),
    );
  });

  it('is monotone in time while playing, and never negative', () => {
    fc.assert(
      fc.property(stateArb(true), offsetArb, offsetArb, (s, a, b) => {
        const [t1, t2] = a <= b ? [s.at + a, s.at + b] : [s.at + b, s.at + a];
        const p1 = positionAt(s, t1);
        return p1 <= positionAt(s, t2) && p1 >= 0;
      }),
    );
  });

  it('advances at the group rate while playing', () => {
    fc.assert(
      fc.property(stateArb(true), fc.double({ min: 0, max: 1e7, noNaN: true }), (s, dt) => {
        const got = positionAt(s, s.at + dt);
        const want = s.position + (dt / 1000) * s.rate;
        // s.at + dt rounds to the ulp of `at` (~0.2 µs at epoch-ms magnitudes)
        const tolerance = 1e-9 * Math.max(1, want) + (2 * Number.EPSILON * s.at * s.rate) / 1000;
        return Math.abs(got - want) <= tolerance;
      }),
    );
  });

  it('is constant while paused', () => {
    fc.assert(
      fc.property(stateArb(false), offsetArb, (s, dt) => positionAt(s, s.at + dt) === s.position),
    );
  });
});

describe('initialPlaybackState / isNewer', () => {
  it('starts paused at 0, rev 0', () => {
    expect(initialPlaybackState(123)).toEqual({
      playing: false,
      position: 0,
      rate: 1,
      at: 123,
      rev: 0,
      by: null,
      action: 'init',
    });
  });

  it('accepts only strictly newer revisions', () => {
    const s = initialPlaybackState(0);
    expect(isNewer(s, null)).toBe(true);
    expect(isNewer({ ...s, rev: 1 }, s)).toBe(true);
    expect(isNewer(s, s)).toBe(false);
    expect(isNewer(s, { ...s, rev: 1 })).toBe(false);
  });
});
