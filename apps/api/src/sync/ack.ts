import type { AckError, AckErrorCode } from '@watch-party/contracts';

/** Thrown by sync services; the gateway turns it into `{ ok: false, error }`. */
export class AckFailure extends Error {
  constructor(
    readonly code: AckErrorCode,
    message: string,
  ) {
    super(message);
  }

  toAck(): AckError {
    return { ok: false, error: { code: this.code, message: this.message } };
  }
}

export const forbidden = (message: string) => new AckFailure('FORBIDDEN', message);
export const notFound = (message: string) => new AckFailure('NOT_FOUND', message);
export const badRequest = (message: string) => new AckFailure('BAD_REQUEST', message);
