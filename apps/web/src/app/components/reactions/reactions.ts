import { REACTION_EMOJIS, type ReactionEmoji } from '@watch-party/contracts';

/** What a screen reader says for each reaction button. */
export const REACTION_NAMES: Readonly<Record<ReactionEmoji, string>> = {
  '👍': 'Thumbs up',
  '😂': 'Laughing',
  '😮': 'Surprised',
  '😢': 'Sad',
  '❤️': 'Love',
  '🔥': 'Fire',
  '👏': 'Applause',
  '🎉': 'Party',
};

/** The key for each reaction: 1..8 in the bar's order. */
export function reactionForKey(key: string): ReactionEmoji | null {
  if (key.length !== 1 || key < '1' || key > '9') return null;
  return REACTION_EMOJIS[Number(key) - 1] ?? null;
}

/**
 * True when a key press belongs to what has focus (typing in a field, a menu, a slider): the
 * page-wide shortcuts leave it alone.
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || !(target as Partial<HTMLElement>).tagName) return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  const tag = element.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (element as HTMLInputElement).type;
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'color', 'image'].includes(type);
}
