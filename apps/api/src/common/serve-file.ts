import type { Request, Response } from 'express';
import send from 'send';
import { errorBody } from './http-errors';

/**
 * Streams a file with Range, If-Range, ETag, Last-Modified and 304 (by `send`); missing or
 * unreadable files answer in the contract's JSON error shape. The caller sets Content-Type.
 */
export function serveFile(req: Request, res: Response, path: string, cacheControl: string) {
  res.setHeader('Cache-Control', cacheControl);
  send(req, path, { etag: true, lastModified: true, acceptRanges: true, cacheControl: false, dotfiles: 'allow' })
    .on('error', (err: { status?: number }) => {
      const status = err.status === 416 ? 416 : err.status === 404 || err.status === 403 ? 404 : 500;
      if (res.headersSent) return res.destroy();
      res.removeHeader('Cache-Control');
      res.status(status).json(errorBody(status, status === 404 ? 'no such file' : 'could not read the file'));
    })
    .pipe(res);
}

/** Segments never change once written. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
