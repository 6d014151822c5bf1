/**
 * Why the server refused a Socket.IO handshake. The server sends the code in the
 * `connect_error` error's `data` (`{ code }`) beside its message (English, for people); a
 * client decides what to do from the code alone (sign out, retry, or stop), never from the text.
 */
export const HANDSHAKE_ERROR_CODES = [
  /** no token, a malformed one, or one this server did not sign */
  'TOKEN_INVALID',
  /** the token's lifetime is over: join again */
  'TOKEN_EXPIRED',
  /** the participant was removed, or the party expired */
  'NOT_A_PARTICIPANT',
  /** MAX_SOCKETS_PER_ADDRESS reached from this address */
  'TOO_MANY_CONNECTIONS',
  /** the replica is shutting down: reconnect (the load balancer picks another) */
  'SERVER_RESTARTING',
  /** live ingest: the stream key is wrong */
  'WRONG_STREAM_KEY',
  /** live ingest: the show has ended */
  'SHOW_ENDED',
  /** live ingest: another stream already publishes with this key */
  'ALREADY_PUBLISHING',
  /** live ingest: the server cannot transcode (no ffmpeg) */
  'LIVE_UNAVAILABLE',
  /** live watch: no show with this id */
  'SHOW_NOT_FOUND',
  /** live watch: the show is not on air (not started yet, or ended) */
  'SHOW_NOT_LIVE',
  /** anything else the server refused */
  'REFUSED',
] as const;

export type HandshakeErrorCode = (typeof HANDSHAKE_ERROR_CODES)[number];

/** What travels in `connect_error`'s `err.data`. */
export interface HandshakeErrorData {
  code: HandshakeErrorCode;
}

/** Codes after which retrying the same credentials cannot succeed. */
export const FINAL_HANDSHAKE_ERRORS: readonly HandshakeErrorCode[] = [
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'NOT_A_PARTICIPANT',
  'WRONG_STREAM_KEY',
  'SHOW_ENDED',
  'ALREADY_PUBLISHING',
  'LIVE_UNAVAILABLE',
  'SHOW_NOT_FOUND',
];

/** Reads the code from a `connect_error` (null when the server sent none, e.g. a transport failure). */
export function handshakeErrorCode(err: unknown): HandshakeErrorCode | null {
  const data = (err as { data?: unknown } | null)?.data;
  const code = (data as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && (HANDSHAKE_ERROR_CODES as readonly string[]).includes(code) ? (code as HandshakeErrorCode) : null;
}
