import busboy from 'busboy';
import { createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Why an upload was not received: `aborted` means the client went away before the end,
 * `stalled` that it stopped sending without closing, `over_quota` that the library would pass
 * MEDIA_QUOTA_BYTES.
 */
export type UploadFailure = 'too_large' | 'over_quota' | 'malformed' | 'no_file' | 'aborted' | 'stalled';

export class UploadError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 507,
    message: string,
    readonly kind: UploadFailure,
  ) {
    super(message);
  }
}

/** What an upload reads from a request: an Express request, or a stream standing in for one in unit tests. */
export type UploadRequest = Readable & Pick<IncomingMessage, 'headers' | 'complete'> & { ip?: string };

export interface ReceivedFile {
  path: string;
  clientName: string;
  sizeBytes: number;
  /** the text fields of the form (the first value of each name; at most 1 KiB each) */
  fields: Record<string, string>;
}

export interface UploadOptions {
  /** MAX_UPLOAD_BYTES: the file may be this long */
  maxBytes: number;
  /** What the file may add before the library passes its quota (507 with `message`); null: no quota. */
  quota: { allowedBytes: number; message: string } | null;
  /** No byte from the client for this long (while we are ready to read): the request is destroyed. */
  idleTimeoutMs: number;
  /** What the file is, in messages ("video" unless given). */
  noun?: string;
}

/** The body around the file (boundaries, part headers, small fields) is at most this long. */
const MULTIPART_SLACK_BYTES = 64 * 1024;

const aborted = () => new UploadError(400, 'the client closed the connection before the upload ended', 'aborted');

/**
 * Streams the multipart field `file` to `target` (never buffering it whole), enforcing
 * `maxBytes` and the quota as bytes arrive (and up front from Content-Length), and dropping a
 * client that goes silent. On any failure, the client going away at any point included,
 * parsing stops, the file handle is closed and the partial file removed before it rejects.
 */
export async function receiveUpload(req: UploadRequest, target: string, options: UploadOptions): Promise<ReceivedFile> {
  const { maxBytes, quota, idleTimeoutMs } = options;
  const noun = options.noun ?? 'video';
  // The client may have gone while the caller was busy (e.g. counting the attempt).
  if (req.destroyed && !req.complete) throw aborted();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_SLACK_BYTES) {
    throw new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`, 'too_large');
  }
  if (quota && Number.isFinite(declared) && declared > quota.allowedBytes + MULTIPART_SLACK_BYTES) {
    throw new UploadError(507, quota.message, 'over_quota');
  }
  if (!req.headers['content-type']?.startsWith('multipart/form-data')) {
    throw new UploadError(400, `send the ${noun} as multipart/form-data in a field named "file"`, 'malformed');
  }
  let bb: busboy.Busboy;
  try {
    // busboy reports 'limit' on reaching fileSize: one byte more, so a file of exactly maxBytes passes.
    bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes + 1, fields: 10, fieldSize: 1024 } });
  } catch {
    throw new UploadError(400, 'malformed multipart body', 'malformed');
  }

  return new Promise<ReceivedFile>((resolve, reject) => {
    let file: Readable | null = null;
    let out: WriteStream | null = null;
    let writing: Promise<void> | null = null;
    /** settles once the write stream has closed its descriptor (or never had one) */
    let closed: Promise<void> = Promise.resolve();
    let received: ReceivedFile | null = null;
    let failure: UploadError | null = null;
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;

    bb.on('field', (name, value) => {
      if (!Object.hasOwn(fields, name)) fields[name] = value;
    });

    /** The file passed a limit: stop writing it and answer; the rest of the body is discarded. */
    const refuse = (stream: Readable, error: UploadError) => {
      if (failure) return;
      failure = error;
      stream.destroy(failure);
      req.unpipe(bb);
      req.resume();
      void finish();
    };

    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || writing) {
        stream.resume();
        return;
      }
      file = stream;
      const got: ReceivedFile = { path: target, clientName: info.filename ?? noun, sizeBytes: 0, fields };
      received = got;
      stream.on('data', (chunk: Buffer) => {
        got.sizeBytes += chunk.length;
        if (quota && got.sizeBytes > quota.allowedBytes) refuse(stream, new UploadError(507, quota.message, 'over_quota'));
      });
      stream.on('limit', () => refuse(stream, new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`, 'too_large')));
      const sink = createWriteStream(target);
      out = sink;
      closed = new Promise((r) => sink.once('close', () => r()));
      writing = pipeline(stream, sink);
    });

    /**
     * The request ended early: stop parsing and writing now, or the file stays open forever.
     * Both ends of the copy are destroyed, with an error: a file part whose end was already
     * parsed but not yet written would otherwise wait for an 'end' that never comes.
     */
    const onRequestClose = () => {
      if (done || req.complete) return;
      const error = (failure ??= aborted());
      req.unpipe(bb);
      bb.destroy();
      file?.destroy(error);
      out?.destroy(error);
      void finish();
    };

    /**
     * A client that stops sending without closing would hold the file open until Node's
     * requestTimeout. Time spent paused by our own disk writes does not count.
     */
    const onIdle = () => {
      if (done || req.complete) return;
      if (req.readableFlowing === false) return armIdle();
      failure ??= new UploadError(408, `no data for ${idleTimeoutMs / 1000} s: the upload was dropped`, 'stalled');
      req.destroy(); // its 'close' stops the parsing and the writing
    };
    const armIdle = () => {
      clearTimeout(idle);
      if (done || req.complete) return;
      idle = setTimeout(onIdle, idleTimeoutMs);
      idle.unref();
    };

    const finish = async (err?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      req.off('close', onRequestClose);
      req.off('data', armIdle);
      try {
        if (writing) await writing;
      } catch (e) {
        err ??= e;
      }
      await closed;
      if (failure || err || !received) {
        req.unpipe(bb);
        if (!req.destroyed) req.resume(); // discard whatever is still coming
        await unlink(target).catch(() => undefined);
        if (failure) return reject(failure);
        if (err) return reject(new UploadError(400, 'the upload was interrupted or malformed', 'malformed'));
        return reject(new UploadError(400, `no file: send the ${noun} in a multipart field named "file"`, 'no_file'));
      }
      resolve(received);
    };

    bb.on('close', () => void finish());
    bb.on('error', (err) => void finish(err));
    req.on('close', onRequestClose);
    req.pipe(bb);
    req.on('data', armIdle);
    req.once('end', () => clearTimeout(idle));
    armIdle();
  });
}
