/**
 * How long things live, shared by every module that writes them (the session repository's
 * writers are in session/ and sync/; both take the value from here rather than from each other).
 */

/** A session with nobody connected is forgotten this long after the last one left. */
export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;
