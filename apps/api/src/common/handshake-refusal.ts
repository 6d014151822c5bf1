import type { HandshakeErrorCode, HandshakeErrorData } from '@watch-party/contracts';

/**
 * A refused Socket.IO handshake, passed to a middleware's `next`: Socket.IO sends its `message`
 * (English, for people) and its `data` (`{ code }`) to the client's `connect_error`, and
 * clients decide what to do from the code alone.
 */
export class HandshakeRefusal extends Error {
  readonly data: HandshakeErrorData;

  constructor(code: HandshakeErrorCode, message: string) {
    super(message);
    this.data = { code };
  }

  get code(): HandshakeErrorCode {
    return this.data.code;
  }
}
