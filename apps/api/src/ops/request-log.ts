import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/**
 * One JSON line per HTTP request with a request id (taken from X-Request-Id when a load
 * balancer set one). The path is logged without its query string, so nothing secret leaks.
 */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const header = req.headers['x-request-id'];
    const id = typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : randomUUID();
    res.setHeader('X-Request-Id', id);
    res.on('finish', () => {
      if (req.path.startsWith('/api/health')) return; // probes every few seconds: noise
      log.info(
        {
          reqId: id,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ip: req.ip,
        },
        'http',
      );
    });
    next();
  };
}
