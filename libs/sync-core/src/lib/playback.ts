/** What the group's player is doing; authoritative on the server. */
export type PlaybackAction = 'init' | 'play' | 'pause' | 'seek' | 'rate' | 'source';

export interface PlaybackState {
  playing: boolean;
  /** seconds, at server time `at` */
  position: number;
  rate: number;
  /** server epoch ms */
  at: number;
  /** +1 per accepted change, per session */
  rev: number;
  /** participant id of whoever made the change, null for the server */
  by: string | null;
  action: PlaybackAction;
}

/** Expected position (s) at server time `serverTimeMs`; never negative, never before `at`. */
export function positionAt(state: PlaybackState, serverTimeMs: number): number {
  if (!state.playing) return state.position;
  const elapsedMs = Math.max(0, serverTimeMs - state.at);
  return state.position + (elapsedMs / 1000) * state.rate;
}

/** The state a session starts with. */
export function initialPlaybackState(at: number): PlaybackState {
  return { playing: false, position: 0, rate: 1, at, rev: 0, by: null, action: 'init' };
}

/** True when `next` should replace `current` (replicas do not promise delivery order). */
export function isNewer(next: PlaybackState, current: PlaybackState | null): boolean {
  return current === null || next.rev > current.rev;
}
