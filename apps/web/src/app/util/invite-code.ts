import { ID_PATTERN } from '@watch-party/contracts';

const ID_CHARS = ID_PATTERN.source.replace(/^\^|\$$/g, '');
/** `/watch/<id>` anywhere in a string, the id ending at `/`, `?`, `#`, whitespace or the end. */
const WATCH_PATH = new RegExp(`/watch/(${ID_CHARS})(?=[/?#\\s]|$)`);

/**
 * Extracts a session id from what a user pasted: either the bare id or any text containing
 * an invite link (`https://host/watch/<id>`, with or without scheme, query or hash).
 * Returns null when nothing usable is found.
 */
export function parseInviteCode(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  if (ID_PATTERN.test(text)) return text;
  const match = WATCH_PATH.exec(text);
  return match ? match[1] : null;
}
