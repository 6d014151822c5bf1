import { Injectable, InjectionToken, inject } from '@angular/core';
import { type Media, mediaSchema, uploadedMediaSchema } from '@watch-party/contracts';
import { formatBytes } from '../util/format';
import { API_BASE_URL, ApiRequestError, isApiRequestError, networkError, toApiRequestError } from './http';
import { ManageKeysService } from './manage-keys.service';

/** Creates the XMLHttpRequest of an upload; replaced in tests. */
export const XHR_FACTORY = new InjectionToken<() => XMLHttpRequest>('XHR_FACTORY', {
  providedIn: 'root',
  factory: () => () => new XMLHttpRequest(),
});

export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  /** Bytes to send (the file plus the multipart envelope). */
  total: number;
  /** 0..1 */
  fraction: number;
}

/** The user cancelled the upload: not an error worth showing. */
export class UploadCancelledError extends Error {
  constructor() {
    super('Upload cancelled');
    this.name = 'UploadCancelledError';
  }
}

export function isUploadCancelled(value: unknown): value is UploadCancelledError {
  return value instanceof UploadCancelledError;
}

/** A running upload: resolves with the new media item, rejects with ApiRequestError or UploadCancelledError. */
export interface UploadTask {
  readonly done: Promise<Media>;
  abort(): void;
}

const XHR_DONE = 4;

/** Containers we know browsers or ffmpeg handle, for files the browser gives no MIME type. */
const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|webm|mkv|avi|wmv|flv|mpe?g|ts|m2ts|mts|3gp|ogv)$/i;

/**
 * Catches the obvious mistakes (a photo, a PDF) before sending megabytes; the server's
 * 415 stays the real check. A file without a type is given the benefit of the doubt.
 */
export function looksLikeVideo(file: Pick<File, 'name' | 'type'>): boolean {
  if (file.type.startsWith('video/')) return true;
  if (file.type === '' || file.type === 'application/octet-stream') return true;
  return VIDEO_EXTENSIONS.test(file.name);
}

/** Turns a byte limit stated by the server ("larger than the 4294967296-byte limit") into "4 GB". */
function limitFrom(message: string): string | null {
  const match = /(\d+)-byte/.exec(message);
  return match ? formatBytes(Number(match[1])) : null;
}

/** What to tell the user when an upload fails; null for a cancel (nothing to say). */
export function uploadErrorMessage(error: unknown): string | null {
  if (isUploadCancelled(error)) return null;
  if (!isApiRequestError(error)) return 'The upload failed. Try again.';
  if (error.isNetworkError) {
    return 'The upload failed: the connection to the server was lost. Check your connection and try again.';
  }
  switch (error.statusCode) {
    case 413: {
      const limit = limitFrom(error.message);
      return `This file is larger than the limit${limit ? ` (${limit})` : ''}. Try a smaller or more compressed video.`;
    }
    case 415:
      return "This is not a video we can play. Try an MP4, WebM, MOV or MKV file.";
    case 401:
      // PUBLISH_POLICY=admin (or a signed-in token the server no longer accepts).
      return 'Uploads need the admin token on this server.';
    case 429: {
      const perHour = /at most (\d+) uploads per hour/.exec(error.message)?.[1];
      return `Too many uploads from here${perHour ? ` (at most ${perHour} an hour)` : ''}. Try again later.`;
    }
    case 507:
      return 'The library is full: this server has no room for more videos. Delete a video you no longer need, or ask the admin.';
    default:
      return error.statusCode >= 500
        ? 'The server had a problem storing the video. Try again.'
        : `The upload was refused: ${error.message}`;
  }
}

/**
 * Uploads a video to the media library (`POST /api/media`, multipart field `file`) with
 * XMLHttpRequest, because fetch reports no upload progress. Sends the admin token when this
 * browser is signed in (a server with PUBLISH_POLICY=admin needs it), and keeps the owner
 * key of the new item, which the server shows only in this answer.
 */
@Injectable({ providedIn: 'root' })
export class UploadService {
  private readonly createXhr = inject(XHR_FACTORY);
  private readonly baseUrl = inject(API_BASE_URL);
  private readonly keys = inject(ManageKeysService);

  upload(file: File, onProgress: (progress: UploadProgress) => void = () => undefined): UploadTask {
    const xhr = this.createXhr();
    let cancelled = false;
    const done = new Promise<Media>((resolve, reject) => {
      xhr.upload.addEventListener('progress', (event: ProgressEvent) => {
        const total = event.lengthComputable && event.total > 0 ? event.total : file.size;
        const loaded = Math.min(event.loaded, total);
        onProgress({ loaded, total, fraction: total > 0 ? loaded / total : 0 });
      });
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          let json: unknown;
          try {
            json = JSON.parse(xhr.responseText);
          } catch {
            json = undefined;
          }
          const uploaded = uploadedMediaSchema.safeParse(json);
          if (uploaded.success) {
            const { ownerKey, ...media } = uploaded.data;
            this.keys.saveOwnerKey(media.id, ownerKey);
            resolve(media);
            return;
          }
          // No owner key: the item exists all the same, this browser just cannot manage it.
          const parsed = mediaSchema.safeParse(json);
          if (parsed.success) resolve(parsed.data);
          else reject(new ApiRequestError(502, 'Unexpected answer from the server', 'Bad Gateway'));
        } else if (xhr.status === 0) {
          reject(networkError());
        } else {
          reject(toApiRequestError(xhr.status, xhr.statusText, xhr.responseText));
        }
      });
      xhr.addEventListener('error', () => reject(networkError()));
      xhr.addEventListener('timeout', () => reject(networkError()));
      xhr.addEventListener('abort', () => reject(cancelled ? new UploadCancelledError() : networkError()));
    });
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.open('POST', `${this.baseUrl}/media`);
    xhr.setRequestHeader('Accept', 'application/json');
    const adminToken = this.keys.adminToken();
    if (adminToken) xhr.setRequestHeader('Authorization', `Bearer ${adminToken}`);
    xhr.send(body);
    onProgress({ loaded: 0, total: file.size, fraction: 0 });
    return {
      done,
      abort: () => {
        if (cancelled || xhr.readyState === XHR_DONE) return;
        cancelled = true;
        xhr.abort();
      },
    };
  }
}
