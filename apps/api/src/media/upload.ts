import busboy from 'busboy';
import type { Request } from 'express';
import { createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Why an upload was not received: `aborted` means the client went away before the end. */
export type UploadFailure = 'too_large' | 'malformed' | 'no_file' | 'aborted';

export class UploadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
    readonly kind: UploadFailure,
  ) {
    super(message);
  }
}

export interface ReceivedFile {
  path: string;
  clientName: string;
  sizeBytes: number;
}

const aborted = () => new UploadError(400, 'the client closed the connection before the upload ended', 'aborted');

/**
 * Streams the multipart field `file` to `target` (never buffering it whole), enforcing
 * `maxBytes` as bytes arrive. On any failure, the client going away at any point included,
 * parsing stops, the file handle is closed and the partial file removed before it rejects.
 */
export async function receiveUpload(req: Request, target: string, maxBytes: number): Promise<ReceivedFile> {
  // The client may have gone while the caller was busy (e.g. counting the attempt).
  if (req.destroyed && !req.complete) throw aborted();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) {
    throw new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`, 'too_large');
  }
  if (!req.headers['content-type']?.startsWith('multipart/form-data')) {
    throw new UploadError(400, 'send the video as multipart/form-data in a field named "file"', 'malformed');
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 } });
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

    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || writing) {
        stream.resume();
        return;
      }
      file = stream;
      received = { path: target, clientName: info.filename ?? 'video', sizeBytes: 0 };
      stream.on('data', (chunk: Buffer) => {
        if (received) received.sizeBytes += chunk.length;
      });
      stream.on('limit', () => {
        failure = new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`, 'too_large');
        stream.destroy(failure);
        req.unpipe(bb);
        req.resume(); // drain the rest; the response closes the connection
        void finish();
      });
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

    const finish = async (err?: unknown) => {
      if (done) return;
      done = true;
      req.off('close', onRequestClose);
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
        return reject(new UploadError(400, 'no file: send the video in a multipart field named "file"', 'no_file'));
      }
      resolve(received);
    };

    bb.on('close', () => void finish());
    bb.on('error', (err) => void finish(err));
    req.on('close', onRequestClose);
    req.pipe(bb);
  });
}
