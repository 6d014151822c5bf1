import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MediaFileSender, ORIGINAL_CACHE_CONTROL } from './media-files';
import { MediaStorage } from './media-storage';
import { MediaService } from './media.service';

/** The one route answered here, with the global prefix: `/api/media/<id>/file`. */
const ORIGINAL_FILE = /^\/api\/media\/([^/]+)\/file$/;

/**
 * `GET`/`HEAD /api/media/:id/file` (progressive playback: 1 MiB ranges, many a second) answered
 * before Nest's router: the same check and answer as MediaController.file, without the route
 * lookup, execution context, pipes and interceptors each request would otherwise go through.
 * Everything global (request log, helmet, CORS) still runs first; errors still leave through
 * the app's JSON exception filter.
 */
@Injectable()
export class MediaFileMiddleware implements NestMiddleware {
  constructor(
    private readonly media: MediaService,
    private readonly storage: MediaStorage,
    private readonly files: MediaFileSender,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    // originalUrl: req.path is relative to where Nest mounted this middleware.
    const url = req.originalUrl;
    const query = url.indexOf('?');
    const match = req.method === 'GET' || req.method === 'HEAD' ? ORIGINAL_FILE.exec(query < 0 ? url : url.slice(0, query)) : null;
    if (!match) return next();
    // Decoded, as the route's @Param would be; a malformed escape is the router's to refuse.
    let id: string;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      return next();
    }
    await sendOriginal(this.media, this.storage, this.files, id, req, res);
  }
}

/** The original upload of item `id` (404 when there is none), for this middleware and MediaController.file. */
export async function sendOriginal(
  media: MediaService,
  storage: MediaStorage,
  files: MediaFileSender,
  id: string,
  req: Request,
  res: Response,
): Promise<void> {
  const r = await media.require(id);
  res.setHeader('Content-Type', r.contentType);
  files.send(req, res, storage.originalPath(id, r.originalName), ORIGINAL_CACHE_CONTROL);
}
