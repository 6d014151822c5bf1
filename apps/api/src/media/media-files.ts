import type { Request, Response } from 'express';
import { isAbsolute, relative, sep } from 'node:path';
import { sendJsonError } from '../common/http-errors';
import { contentTypeFor, READ_CHUNK_BYTES, serveFile } from '../common/serve-file';

/**
 * One segment of a path under MEDIA_DIR that may be handed to nginx as it is: the ids and
 * whitelisted names MediaStorage builds paths from. No dot files (`.incoming`), no `.`/`..`,
 * nothing nginx would have to unescape.
 */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * `<relative path>` of a file under `root`, in URI form, or null when it is not strictly inside
 * `root` or has a segment that is not SAFE_SEGMENT.
 */
export function accelRelativePath(root: string, path: string): string | null {
  const rel = relative(root, path);
  if (rel === '' || isAbsolute(rel)) return null;
  const segments = rel.split(sep);
  return segments.every((s) => SAFE_SEGMENT.test(s)) ? segments.join('/') : null;
}

/**
 * The caching the API chose for a file it hands to nginx; nginx's media location sends it as
 * Cache-Control on success and 304 only.
 */
export const MEDIA_CACHE_CONTROL_HEADER = 'X-Media-Cache-Control';

/**
 * How long nginx may keep the API's decision on a media file request (X-Accel-Expires, seconds;
 * MEDIA_ACCEL_DECISION_SEC): docker/nginx/media.compose.conf then hands later requests for the
 * same URI to its file location without asking a replica. A deleted item's files are gone at
 * once; its decision is over within this. 0: nginx asks a replica every time.
 */
export const MEDIA_ACCEL_DECISION_SEC = 3;

/** Originals and posters: stable for an hour (a new upload is a new id). */
export const ORIGINAL_CACHE_CONTROL = 'public, max-age=3600';

/**
 * Sends the media files (originals, posters, VOD HLS, subtitle tracks) once a route has done its
 * checks. Alone (`accelPrefix` null) the API streams them (serveFile: Range, ETag, 304...).
 * Behind nginx (MEDIA_ACCEL_REDIRECT) it answers with `X-Accel-Redirect: <prefix><path under
 * MEDIA_DIR>`, no body, its Content-Type and caching (MEDIA_CACHE_CONTROL_HEADER); nginx then sends
 * the file from its internal location over the same volume (sendfile), with its own Range,
 * If-Range, ETag, Last-Modified and 304 handling. `X-Accel-Expires` lets nginx keep that answer
 * for a few seconds (decisionSec) and send the same URI again without asking.
 */
export class MediaFileSender {
  /**
   * `accelPrefix`: MEDIA_ACCEL_REDIRECT (null: the API sends the bytes); `readChunkBytes`:
   * FILE_READ_CHUNK_BYTES for the bytes the API sends; `decisionSec`: MEDIA_ACCEL_DECISION_SEC.
   */
  constructor(
    private readonly root: string,
    private readonly accelPrefix: string | null,
    private readonly readChunkBytes = READ_CHUNK_BYTES,
    private readonly decisionSec = MEDIA_ACCEL_DECISION_SEC,
  ) {}

  send(req: Request, res: Response, path: string, cacheControl: string): void {
    if (this.accelPrefix === null) return serveFile(req, res, path, cacheControl, { readChunkBytes: this.readChunkBytes });
    const rel = accelRelativePath(this.root, path);
    // Paths come from validated ids and whitelisted names: this is a guard, never a route.
    if (rel === null) return sendJsonError(res, 404, 'no such file');
    if (!res.getHeader('Content-Type')) res.setHeader('Content-Type', contentTypeFor(path));
    // Not Cache-Control, which nginx would keep on its error answers too (media.compose.conf).
    res.setHeader(MEDIA_CACHE_CONTROL_HEADER, cacheControl);
    res.setHeader('X-Accel-Redirect', this.accelPrefix + rel);
    // How long nginx may keep this answer for the same URI (and Origin); errors never say so.
    res.setHeader('X-Accel-Expires', String(this.decisionSec));
    res.statusCode = 200;
    res.end();
  }
}
