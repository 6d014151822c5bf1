import express, { type RequestHandler } from 'express';
import { errorBody } from './http-errors';

/** JSON bodies up to `limit`; parser errors answer in the contract's error shape. */
export function jsonBody(limit: string): RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { status?: number; type?: string };
      const status = e.status === 413 ? 413 : 400;
      const message =
        status === 413
          ? `request body is larger than ${limit}`
          : e.type === 'encoding.unsupported'
            ? 'unsupported body encoding'
            : 'request body is not valid JSON';
      res.status(status).json(errorBody(status, message));
    });
  };
}
