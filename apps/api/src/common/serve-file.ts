import type { Request, Response } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { type BigIntStats, close, fstat, open, read } from 'node:fs';
import { extname } from 'node:path';
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

/** The Content-Type for a file name, by its extension (for routes that do not set their own). */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** A date validator is only strong once the file has not changed for this long (RFC 9110 8.8.2.2). */
const DATE_VALIDATOR_MIN_AGE_MS = 1000;

/**
 * Bytes read from the file at once, also the most one download holds in memory (an answer
 * smaller than this holds only its own size). A read stream's 64 KiB default costs a
 * thread-pool round trip and a socket write per 64 KiB: 1 MiB ranges (what players ask for)
 * went in 16 of each. The media routes take FILE_READ_CHUNK_BYTES.
 */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** Read buffers kept for reuse between downloads, per size (the rest are left to the GC). */
export const IDLE_READ_BUFFERS = 16;

export interface ServeFileOptions {
  /** READ_CHUNK_BYTES unless given */
  readChunkBytes?: number;
}

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
 * opened once and read through that descriptor, so validators and bytes come from the same file,
 * and the descriptor is closed on every path, an aborted download included.
 */
export function serveFile(req: Request, res: Response, path: string, cacheControl: string, options: ServeFileOptions = {}): void {
  const chunkBytes = options.readChunkBytes ?? READ_CHUNK_BYTES;
  // Callback fs and sendBytes rather than fs/promises' FileHandle and a read stream through
  // pipeline: those cost about twice the CPU per byte sent (measured under bench/range.mjs).
  open(path, 'r', (openErr, fd) => {
    if (openErr) {
      const code = openErr.code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'EISDIR';
      return sendJsonError(res, missing ? 404 : 500, missing ? 'no such file' : 'could not read the file');
    }
    fstat(fd, { bigint: true }, (statErr, stat) => {
      let streaming = false;
      try {
        if (statErr) return sendJsonError(res, 500, 'could not read the file');
        streaming = respond(req, res, path, cacheControl, chunkBytes, fd, stat);
      } catch {
        if (res.headersSent) res.destroy();
        else sendJsonError(res, 500, 'could not read the file');
      } finally {
        if (!streaming) close(fd, () => undefined);
      }
    });
  });
}

/** Answers from the open file; true when sendBytes now owns `fd` (and closes it). */
function respond(req: Request, res: Response, path: string, cacheControl: string, chunkBytes: number, fd: number, stat: BigIntStats): boolean {
  if (!stat.isFile()) {
    sendJsonError(res, 404, 'no such file');
    return false;
  }
  const size = Number(stat.size);
  const mtimeMs = Number(stat.mtimeMs);
  const file: Validators = {
    etag: `"${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`,
    // HTTP dates have whole seconds.
    modifiedMs: Math.floor(mtimeMs / 1000) * 1000,
    dateIsStrong: Date.now() - mtimeMs >= DATE_VALIDATOR_MIN_AGE_MS,
  };

  const precondition = evaluatePreconditions(req.headers, file);
  if (precondition === 412) {
    sendJsonError(res, 412, 'precondition failed: the file is not the version the request names');
    return false;
  }

  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', new Date(file.modifiedMs).toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  if (precondition === 304) {
    res.removeHeader('Content-Type');
    res.status(304).end();
    return false;
  }

  let range: ByteRange | null = null;
  if (req.method === 'GET' && typeof req.headers.range === 'string' && ifRangeHolds(oneValue(req.headers['if-range']), file)) {
    const parsed = parseRange(req.headers.range, size);
    if (parsed === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      sendJsonError(res, 416, `the range is outside the file (${size} bytes)`, ['Content-Range']);
      return false;
    }
    range = parsed;
  }

  if (!res.getHeader('Content-Type')) res.setHeader('Content-Type', contentTypeFor(path));
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return false;
  }
  sendBytes(res, fd, start, end, chunkBytes);
  return true;
}

/** Idle full-chunk read buffers by chunk size, for the next download (no fresh pages to fault in). */
const idleBuffers = new Map<number, Buffer[]>();

/** A buffer for `bytes` to send in chunks of `chunkBytes`: a pooled full chunk, or just what a smaller answer needs. */
function takeBuffer(chunkBytes: number, bytes: number): Buffer {
  if (bytes < chunkBytes) return Buffer.allocUnsafe(bytes);
  return idleBuffers.get(chunkBytes)?.pop() ?? Buffer.allocUnsafeSlow(chunkBytes);
}

function giveBuffer(buffer: Buffer, chunkBytes: number): void {
  if (buffer.length !== chunkBytes) return;
  let idle = idleBuffers.get(chunkBytes);
  if (!idle) idleBuffers.set(chunkBytes, (idle = []));
  if (idle.length < IDLE_READ_BUFFERS) idle.push(buffer);
}

/**
 * Sends bytes start..end (inclusive) of `fd`, then closes it: one read of up to `chunkBytes`
 * into a pooled buffer, one socket write, the next read once that write is done (so at most one
 * chunk per download is in memory). Closes `fd` exactly once, when done, on a read error or
 * when the client goes away; a file that shrank meanwhile cuts the response.
 */
function sendBytes(res: Response, fd: number, start: number, end: number, chunkBytes: number): void {
  let position = start;
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    res.off('close', done);
    close(fd, () => undefined);
  };
  if (res.destroyed) return done();
  // Also fires when a download completes; by then `done` has run.
  res.once('close', done);
  const buffer = takeBuffer(chunkBytes, end + 1 - start);
  const next = () => {
    if (finished) return;
    const want = Math.min(buffer.length, end + 1 - position);
    read(fd, buffer, 0, want, position, (err, n) => {
      if (finished) return;
      if (err || n === 0 || res.destroyed) {
        done();
        res.destroy();
        return;
      }
      position += n;
      const chunk = n === buffer.length ? buffer : buffer.subarray(0, n);
      if (position > end) {
        res.end(chunk, () => {
          done();
          giveBuffer(buffer, chunkBytes);
        });
      } else {
        // The buffer is reused only once the socket has taken the chunk.
        res.write(chunk, (writeErr) => (writeErr ? done() : next()));
      }
    });
  };
  next();
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
