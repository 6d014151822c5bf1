import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { ApiError } from '@watch-party/contracts';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';

export class TooManyRequestsException extends HttpException {
  constructor(message: string, readonly retryAfterMs: number) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

export function errorBody(statusCode: number, message: string): ApiError {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** Headers that describe the representation a route meant to send, not an error about it. */
const REPRESENTATION_HEADERS = [
  'Content-Type',
  'Content-Length',
  'Content-Range',
  'Content-Disposition',
  'Content-Encoding',
  'Cache-Control',
  'ETag',
  'Last-Modified',
  'Accept-Ranges',
];

/**
 * Answers with the contract's JSON error (no body for HEAD: Node drops it), dropping whatever representation headers a route set
 * before it failed (a file route's `video/mp4`, its validators and caching), so an error is
 * never mistaken for content. `keep` names headers that belong to the error (416's Content-Range).
 */
export function sendJsonError(res: Response, status: number, message: string, keep: string[] = []): void {
  const kept = new Set(keep.map((h) => h.toLowerCase()));
  for (const header of REPRESENTATION_HEADERS) if (!kept.has(header.toLowerCase())) res.removeHeader(header);
  // Written directly rather than with res.json, which would give the error body an ETag.
  const json = JSON.stringify(errorBody(status, message));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(json)));
  res.end(json);
}

/** Every error leaves as `{ statusCode, error, message }` with `application/json`. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // Too late for an error body: cut the response so the client sees it is incomplete.
      if (!res.writableEnded) res.destroy();
      return;
    }
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'Internal server error';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      if (exception instanceof TooManyRequestsException) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterMs / 1000))));
      }
    } else {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    sendJsonError(res, status, message);
  }
}
