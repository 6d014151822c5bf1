import { type PlaybackState, positionAt } from './playback';

/** A controller's command, already validated (rate within bounds, positions finite >= 0). */
export type PlaybackCommand =
  | { action: 'play'; position?: number }
  | { action: 'pause'; position?: number }
  | { action: 'seek'; position: number }
  | { action: 'rate'; rate: number; position?: number }
  | { action: 'source' };

/**
 * The next authoritative state after `command` at server time `now`: position carried forward
 * from the current state, `at` stamped with `now`, `rev` bumped by exactly one.
 */
export function applyCommand(
  state: PlaybackState,
  command: PlaybackCommand,
  now: number,
  by: string | null,
): PlaybackState {
  const base = { at: now, rev: state.rev + 1, by, action: command.action } as const;
  const here = positionAt(state, now);
  switch (command.action) {
    case 'play':
      return { ...base, playing: true, position: command.position ?? here, rate: state.rate };
    case 'pause':
      return { ...base, playing: false, position: command.position ?? here, rate: state.rate };
    case 'seek':
      return { ...base, playing: state.playing, position: command.position, rate: state.rate };
    case 'rate':
      return { ...base, playing: state.playing, position: command.position ?? here, rate: command.rate };
    case 'source':
      return { ...base, playing: false, position: 0, rate: 1 };
  }
}
