import type { Request, Response } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { type FileHandle, open } from 'node:fs/promises';
import { extname } from 'node:path';
import { pipeline } from 'node:stream';
import { sendJsonError } from './http-errors';

/** Segments never change once written. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** For routes that do not set Content-Type themselves. */
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.ts': 'video/mp2t',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

/** A date validator is only strong once the file has not changed for this long (RFC 9110 8.8.2.2). */
const DATE_VALIDATOR_MIN_AGE_MS = 1000;

/**
 * Streams a file with Range, conditional requests and strong validators (RFC 9110):
 * - ETag `"<size hex>-<mtime ns hex>"`, strong, so If-Range and If-Match can use it;
 * - If-Match (strong comparison) / If-Unmodified-Since that fail -> 412;
 * - If-None-Match (weak comparison) / If-Modified-Since -> 304;
 * - one byte range -> 206; overlapping or adjacent ranges are merged into one; several disjoint
 *   ranges or a malformed Range -> the whole file; nothing satisfiable -> 416 with
 *   `Content-Range: bytes *\/size`;
 * - If-Range applies the Range only for an exact strong ETag or the exact Last-Modified date.
 * Errors answer in the contract's JSON shape, without the Content-Type the caller set. The file is
 * opened once and read through that handle, so validators and bytes come from the same file,
 * and the handle is closed on every path, an aborted download included.
 */
export function serveFile(req: Request, res: Response, path: string, cacheControl: string): void {
  void serve(req, res, path, cacheControl).catch(() => {
    if (res.headersSent) res.destroy();
    else sendJsonError(res, 500, 'could not read the file');
  });
}

async function serve(req: Request, res: Response, path: string, cacheControl: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'EISDIR';
    return sendJsonError(res, missing ? 404 : 500, missing ? 'no such file' : 'could not read the file');
  }
  let streaming = false;
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) return sendJsonError(res, 404, 'no such file');
    const size = Number(stat.size);
    const mtimeMs = Number(stat.mtimeMs);
    const file: Validators = {
      etag: `"${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`,
      // HTTP dates have whole seconds.
      modifiedMs: Math.floor(mtimeMs / 1000) * 1000,
      dateIsStrong: Date.now() - mtimeMs >= DATE_VALIDATOR_MIN_AGE_MS,
    };

    const precondition = evaluatePreconditions(req.headers, file);
    if (precondition === 412) return sendJsonError(res, 412, 'precondition failed: the file is not the version the request names');

    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('ETag', file.etag);
    res.setHeader('Last-Modified', new Date(file.modifiedMs).toUTCString());
    res.setHeader('Accept-Ranges', 'bytes');
    if (precondition === 304) {
      res.removeHeader('Content-Type');
      res.status(304).end();
      return;
    }

    let range: ByteRange | null = null;
    if (req.method === 'GET' && typeof req.headers.range === 'string' && ifRangeHolds(oneValue(req.headers['if-range']), file)) {
      const parsed = parseRange(req.headers.range, size);
      if (parsed === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${size}`);
        return sendJsonError(res, 416, `the range is outside the file (${size} bytes)`, ['Content-Range']);
      }
      range = parsed;
    }

    if (!res.getHeader('Content-Type')) {
      res.setHeader('Content-Type', CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    streaming = true;
    // The stream owns the handle from here: it closes it when done, failed or aborted.
    pipeline(handle.createReadStream({ start, end, autoClose: true }), res, (err) => {
      if (err && !res.headersSent) sendJsonError(res, 500, 'could not read the file');
    });
  } finally {
    if (!streaming) await handle.close();
  }
}

interface Validators {
  etag: string;
  /** Last-Modified, in whole seconds */
  modifiedMs: number;
  /** whether Last-Modified may be used where a strong validator is required */
  dateIsStrong: boolean;
}

/** RFC 9110 section 13.2.2, for GET and HEAD. */
function evaluatePreconditions(h: IncomingHttpHeaders, file: Validators): 200 | 304 | 412 {
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, file.etag, 'strong')) return 412;
  } else {
    const since = httpDate(h['if-unmodified-since']);
    if (since !== null && file.modifiedMs > since) return 412;
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, file.etag, 'weak')) return 304;
  } else {
    const since = httpDate(h['if-modified-since']);
    if (since !== null && file.modifiedMs <= since) return 304;
  }
  return 200;
}

const ENTITY_TAG = /(W\/)?"[\x21\x23-\x7e\x80-\xff]*"/g;

/** `*` or a list of entity tags; weak tags never match strongly. */
function matches(header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  if (header.trim() === '*') return true;
  for (const [tag, weak] of header.matchAll(ENTITY_TAG)) {
    const opaque = weak ? tag.slice(2) : tag;
    if (opaque === etag && (comparison === 'weak' || !weak)) return true;
  }
  return false;
}

/** If-Range takes one validator: the exact strong ETag, or the exact date when that is strong. */
function ifRangeHolds(header: string | undefined, file: Validators): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === file.etag;
  return file.dateIsStrong && httpDate(value) === file.modifiedMs;
}

/** A repeated field arrives as an array: its values as one list. */
function oneValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function httpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * `bytes=` ranges (RFC 9110 section 14.1.2): null when the header is to be ignored (another unit,
 * a malformed spec, or several disjoint ranges), 'unsatisfiable' when no spec overlaps the file,
 * else the one range covering every satisfiable spec.
 */
function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return null;
  const ranges: ByteRange[] = [];
  let specs = 0;
  for (const raw of header.slice(eq + 1).split(',')) {
    const spec = raw.trim();
    if (spec === '') continue;
    specs++;
    const m = RANGE_SPEC.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return null;
    if (m[1] === '') {
      // suffix: the last N bytes
      const n = Number(m[2]);
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === '' ? Infinity : Number(m[2]);
    if (last < first) return null;
    if (first < size) ranges.push({ start: first, end: Math.min(last, size - 1) });
  }
  if (specs === 0) return null;
  if (ranges.length === 0) return 'unsatisfiable';
  ranges.sort((a, b) => a.start - b.start);
  const merged = ranges[0];
  for (const r of ranges.slice(1)) {
    if (r.start > merged.end + 1) return null;
    merged.end = Math.max(merged.end, r.end);
  }
  return merged;
}
