import busboy from 'busboy';
import type { Request } from 'express';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

export class UploadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export interface ReceivedFile {
  path: string;
  clientName: string;
  sizeBytes: number;
}

/**
 * Streams the multipart field `file` to `target` (never buffering it whole), enforcing
 * `maxBytes` as bytes arrive. On any failure the partial file is removed.
 */
export async function receiveUpload(req: Request, target: string, maxBytes: number): Promise<ReceivedFile> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) {
    throw new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`);
  }
  if (!req.headers['content-type']?.startsWith('multipart/form-data')) {
    throw new UploadError(400, 'send the video as multipart/form-data in a field named "file"');
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 } });
  } catch {
    throw new UploadError(400, 'malformed multipart body');
  }

  return new Promise<ReceivedFile>((resolve, reject) => {
    let writing: Promise<void> | null = null;
    let received: ReceivedFile | null = null;
    let failure: UploadError | null = null;

    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || writing) {
        stream.resume();
        return;
      }
      received = { path: target, clientName: info.filename ?? 'video', sizeBytes: 0 };
      stream.on('data', (chunk: Buffer) => {
        if (received) received.sizeBytes += chunk.length;
      });
      stream.on('limit', () => {
        failure = new UploadError(413, `the file is larger than the ${maxBytes}-byte limit`);
        stream.destroy(failure);
        req.unpipe(bb);
        req.resume(); // drain the rest; the response closes the connection
        void finish();
      });
      writing = pipeline(stream, createWriteStream(target));
    });

    let done = false;
    const finish = async (err?: unknown) => {
      if (done) return;
      done = true;
      try {
        if (writing) await writing;
      } catch (e) {
        err ??= e;
      }
      if (failure || err || !received) {
        await unlink(target).catch(() => undefined);
        if (failure) return reject(failure);
        if (err) return reject(new UploadError(400, 'the upload was interrupted or malformed'));
        return reject(new UploadError(400, 'no file: send the video in a multipart field named "file"'));
      }
      resolve(received);
    };

    bb.on('close', () => void finish());
    bb.on('error', (err) => void finish(err));
    req.on('aborted', () => void finish(new Error('aborted')));
    req.pipe(bb);
  });
}
