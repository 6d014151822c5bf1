import { applyCommand } from '../control';
import { ClockEstimator, nextPingDelayMs, type ClockSample } from '../clock';
import { FollowerController, type FollowerAction, type FollowerInput } from '../follower';
import type { FollowerTuning } from '../follower-tuning';
import { SteppedReads } from '../stepped-reads';
import { initialPlaybackState, isNewer, positionAt, type PlaybackState } from '../playback';
import { createRng, type DelayRange, sampleDelay } from './prng';
import { SimulatedNetwork, type SimulatedNetworkOptions } from './simulated-network';
import { SimulatedPlayer, type SimulatedPlayerOptions } from './simulated-player';

/**
 * Runs one follower (controller + simulated player, optionally a simulated clock link)
 * against a scripted group timeline, the way the web client will wire it: a ~50 ms tick,
 * states delivered late, play() fired by a slightly late timer. Errors are measured
 * against the true group timeline, not the follower's view of it.
 */
export type GroupCommand =
  | { atMs: number; action: 'play' | 'pause' }
  | { atMs: number; action: 'seek'; position: number }
  | { atMs: number; action: 'rate'; rate: number };

export interface FollowerSimulationOptions {
  seed: number;
  durationMs: number;
  /** At true (client) times; the server stamps them with its own clock. */
  commands: GroupCommand[];
  initialPosition?: number;
  tickMs?: number;
  /** Extra random delay per tick: timers are never punctual. */
  tickJitter?: DelayRange;
  /**
   * Extra looks at currentTime between ticks (the web client looks on every animation frame)
   * so stepped reads are recognised; 0 turns them off.
   */
  observeEveryMs?: number;
  /** Server → client delay of a `playback:state`. */
  deliveryDelay?: DelayRange;
  /** How late the play() timer fires. */
  timerLateness?: DelayRange;
  player?: Omit<SimulatedPlayerOptions, 'rng'>;
  tuning?: Partial<FollowerTuning>;
  /** When set, the follower learns the server clock over this link; else clocks are equal. */
  network?: Omit<SimulatedNetworkOptions, 'rng'>;
  /**
   * The page starves right after its `afterRateWrite`-th rate write (1-based): no tick and no
   * look for `forMs`, and the player's clock stands still for `mediaStallMs` from the write (or
   * longer, if the write's own stall runs longer).
   */
  starve?: { afterRateWrite: number; forMs: number; mediaStallMs: number };
  /**
   * The page's wait for a first frame after its first `starts` timed play() calls: the
   * follower is not ticked for `forMs` after each (errors are still recorded). The web engine
   * waits up to START_FRAME_WAIT_MS for requestVideoFrameCallback, which WebKitGTK never calls,
   * and stops waiting after two such starts, or once the follower is seek-only.
   */
  startGate?: { forMs: number; starts: number };
  /** The controller to drive (one set up by the test, e.g. seek-only); a fresh one by default. */
  controller?: FollowerController;
  /** Sees every controller decision (for property checks). */
  onTick?: (input: FollowerInput, action: FollowerAction) => void;
}

export interface SimulationTick {
  nowMs: number;
  /** currentTime − true group position, ms. */
  errorMs: number;
  groupPlaying: boolean;
  /** Index of the last command issued at or before this tick (−1 before any). */
  command: number;
  sinceCommandMs: number;
}

export interface SimulationResult {
  ticks: SimulationTick[];
  player: SimulatedPlayer;
  controller: FollowerController;
  clock: ClockEstimator | null;
  network: SimulatedNetwork | null;
  actions: Record<FollowerAction['kind'], number>;
}

export function simulateFollower(o: FollowerSimulationOptions): SimulationResult {
  const rng = createRng(o.seed);
  const player = new SimulatedPlayer({ rng, ...o.player });
  const controller = o.controller ?? new FollowerController(o.tuning);
  const network = o.network ? new SimulatedNetwork({ rng, ...o.network }) : null;
  const clock = network ? new ClockEstimator() : null;
  const serverAt = (ms: number): number => network?.serverTimeAt(ms) ?? ms;
  const tickMs = o.tickMs ?? 50;
  const tickJitter = o.tickJitter ?? { min: 0, typical: 1, max: 5 };
  const delivery = o.deliveryDelay ?? { min: 10, typical: 25, max: 60 };
  const lateness = o.timerLateness ?? { min: 0, typical: 1, max: 4 };
  const observeMs = o.observeEveryMs ?? 1000 / 60;
  const stepped = new SteppedReads();
  const look = (now: number): number => {
    const value = player.currentTime(now);
    stepped.observe(now, value, player.playbackRate, !player.paused(now) && !player.seeking(now));
    return value;
  };

  // The server's timeline, and when each state reaches the follower.
  let state: PlaybackState = {
    ...initialPlaybackState(serverAt(0)),
    position: o.initialPosition ?? 0,
  };
  const timeline: Array<{ atMs: number; state: PlaybackState }> = [{ atMs: 0, state }];
  const deliveries = [{ atMs: sampleDelay(rng, delivery), state }];
  for (const cmd of o.commands) {
    state = applyCommand(state, cmd, serverAt(cmd.atMs), 'sim');
    timeline.push({ atMs: cmd.atMs, state });
    deliveries.push({ atMs: cmd.atMs + sampleDelay(rng, delivery), state });
  }
  deliveries.sort((a, b) => a.atMs - b.atMs);

  const ticks: SimulationTick[] = [];
  const actions: Record<FollowerAction['kind'], number> = { none: 0, rate: 0, pause: 0, seek: 0, hold: 0 };
  let known: PlaybackState | null = null;
  let nextTick = 0;
  let nextLook = observeMs > 0 ? observeMs : Infinity;
  let playAt: number | null = null;
  let nextPing = 0;
  let pingsSent = 0;
  let rateWrites = 0;
  let gatedStarts = 0;
  let gatedUntil = Number.NEGATIVE_INFINITY;
  const replies: ClockSample[] = [];

  for (;;) {
    const now = Math.min(
      nextTick,
      playAt ?? Infinity,
      network ? nextPing : Infinity,
      replies[0]?.t3 ?? Infinity,
      deliveries[0]?.atMs ?? Infinity,
      nextLook,
    );
    if (now > o.durationMs) break;
    if (deliveries[0] && deliveries[0].atMs === now) {
      const s = deliveries.shift()?.state ?? null;
      if (s && isNewer(s, known)) known = s;
    } else if (replies[0] && replies[0].t3 === now) {
      const sample = replies.shift();
      if (sample) clock?.addSample(sample);
    } else if (network && nextPing === now) {
      const sample = network.ping(now);
      pingsSent++;
      nextPing = now + nextPingDelayMs(pingsSent);
      if (sample) {
        replies.push(sample);
        replies.sort((a, b) => a.t3 - b.t3);
      }
    } else if (nextLook === now) {
      nextLook = now + observeMs;
      look(now);
    } else if (playAt === now) {
      playAt = null;
      player.play(now);
      if (o.startGate && gatedStarts < o.startGate.starts && controller.strategy !== 'seek-only') {
        gatedStarts++;
        gatedUntil = now + o.startGate.forMs;
      }
    } else {
      nextTick = now + tickMs + sampleDelay(rng, tickJitter);
      if (known === null || (clock !== null && !clock.hasEstimate)) continue;
      const serverNow = clock ? clock.serverNow(now) : now;
      const truth = timeline.filter((e) => e.atMs <= now).pop() ?? timeline[0];
      // The error is what the viewer sees: the true media time, not a (noisy) read of it.
      const shown = player.truePosition(now);
      const currentTime = look(now);
      const presentedFrame = stepped.read(now, currentTime);
      const command = timeline.indexOf(truth) - 1;
      ticks.push({
        nowMs: now,
        errorMs: (shown - positionAt(truth.state, serverAt(now))) * 1000,
        groupPlaying: truth.state.playing,
        command,
        sinceCommandMs: now - truth.atMs,
      });
      if (now < gatedUntil) continue;
      const input: FollowerInput = {
        expectedPosition: positionAt(known, serverNow),
        groupRate: known.rate,
        groupPlaying: known.playing,
        rev: known.rev,
        currentTime,
        paused: player.paused(now),
        seeking: player.seeking(now),
        playbackRate: player.playbackRate,
        nowMs: now,
        ...(presentedFrame ? { presentedFrame } : {}),
      };
      const action = controller.tick(input);
      o.onTick?.(input, action);
      actions[action.kind]++;
      if (action.kind !== 'none') playAt = null;
      if (action.kind === 'rate') {
        player.setPlaybackRate(now, action.rate);
        if (o.starve && ++rateWrites === o.starve.afterRateWrite) {
          player.stallClock(now, o.starve.mediaStallMs);
          nextTick = now + o.starve.forMs;
          if (observeMs > 0) nextLook = now + o.starve.forMs;
        }
      }
      if (action.kind === 'pause') player.pause(now);
      // The caller's timer for a timed play(), late by the page's lateness.
      const timer = (atMs: number): number => Math.max(now, atMs) + sampleDelay(rng, lateness);
      if (action.kind === 'hold') {
        player.pause(now);
        playAt = timer(action.playAtLocalMs);
      }
      if (action.kind === 'seek') {
        player.pause(now);
        // The caller's contract: write the rate only when it differs (the follower sets it a
        // tick before it seeks, so this does not happen: WebKit may double a seek issued
        // right after a rate write).
        if (player.playbackRate !== action.rate) player.setPlaybackRate(now, action.rate);
        player.seek(now, action.position);
        if (action.playAtLocalMs !== null) playAt = timer(action.playAtLocalMs);
      }
    }
  }
  return { ticks, player, controller, clock, network, actions };
}

/** p-th percentile (0-100) by nearest rank; NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * For the ticks after command `command` (until the next one): how long after the command the
 * error entered ±limitMs for good (Infinity if it never did or left again at the end).
 */
export function convergenceMs(ticks: SimulationTick[], command: number, limitMs: number): number {
  const seg = ticks.filter((t) => t.command === command);
  let lastBad = -1;
  seg.forEach((t, i) => {
    if (Math.abs(t.errorMs) > limitMs) lastBad = i;
  });
  if (lastBad === seg.length - 1) return Infinity;
  return lastBad < 0 ? 0 : seg[lastBad + 1].sinceCommandMs;
}
