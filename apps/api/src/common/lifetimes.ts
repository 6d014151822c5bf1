/**
 * How long things live, shared by every module that writes them (the session repository's
 * writers are in session/ and sync/; both take the value from here rather than from each other).
 */

/** A session with nobody connected is forgotten this long after the last one left. */
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** A chat message sent again with the same clientId within this long is the first one, not a new one. */
export const CHAT_RETRY_WINDOW_MS = 10 * 60 * 1000;
