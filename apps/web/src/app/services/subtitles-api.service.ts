import { Injectable, Injector, inject } from '@angular/core';
import { type SubtitleFields, type SubtitleTrack, subtitleTrackSchema } from '@watch-party/contracts';
import { formatBytes } from '../util/format';
import { API_BASE_URL, ApiRequestError, FETCH, isApiRequestError, networkError, toApiRequestError } from './http';

/** A subtitle upload that has not answered after this long counts as a network failure. */
export const SUBTITLE_UPLOAD_TIMEOUT_MS = 60_000;

/** What a subtitle file input accepts (the server's check stays the real one). */
export const SUBTITLE_FILE_ACCEPT = '.srt,.vtt,text/vtt,application/x-subrip';

export function looksLikeSubtitleFile(file: Pick<File, 'name'>): boolean {
  return /\.(srt|vtt)$/i.test(file.name);
}

/** What to tell the user when adding a subtitle track fails. */
export function subtitleUploadErrorMessage(error: unknown): string {
  if (!isApiRequestError(error)) return "Couldn't add the subtitles: something went wrong. Try again.";
  if (error.isNetworkError) return "Couldn't add the subtitles: the server is unreachable. Check your connection and try again.";
  switch (error.statusCode) {
    case 400:
      // The server names the first wrong line, or the field that is wrong.
      return `The subtitle file was refused: ${error.message}.`;
    case 401:
    case 403:
      return 'This browser may not add subtitles to this video: only the browser that uploaded it, or the admin, can.';
    case 404:
      return 'This video is no longer in the library.';
    case 409:
      return 'This video already has as many subtitle tracks as it can hold. Delete one first.';
    case 413: {
      const limit = /(\d+)-byte/.exec(error.message)?.[1];
      return `This subtitle file is too large${limit ? ` (at most ${formatBytes(Number(limit))})` : ''}.`;
    }
    case 415:
      return `This is not a subtitle file we can read (${error.message}). Use an .srt or .vtt file saved as UTF-8 text.`;
    case 429:
      return 'Too many subtitle uploads from here. Try again later.';
    case 507:
      return 'The library is full: this server has no room for more files.';
    default:
      return error.statusCode >= 500
        ? 'The server had a problem storing the subtitles. Try again.'
        : `Couldn't add the subtitles: ${error.message}.`;
  }
}

/** What to tell the user when deleting a subtitle track fails (401/403 are the page's to explain). */
export function subtitleDeleteErrorMessage(error: unknown): string {
  if (!isApiRequestError(error)) return "Couldn't delete the subtitles: something went wrong.";
  if (error.isNetworkError) return "Couldn't delete the subtitles: server unreachable. Try again.";
  return `Couldn't delete the subtitles: ${error.message}.`;
}

/**
 * Subtitle tracks of a library item: `POST /api/media/:id/subtitles` (multipart `file`,
 * `label`, `lang?`) and `DELETE /api/media/:id/subtitles/:trackId`, with the item's owner key
 * or the admin token when this browser has one.
 */
@Injectable({ providedIn: 'root' })
export class SubtitlesApiService {
  /** FETCH is resolved at the first call: pages that never touch subtitles (and their tests) don't need it. */
  private readonly injector = inject(Injector);
  private readonly baseUrl = inject(API_BASE_URL);

  async upload(mediaId: string, file: File, fields: SubtitleFields, credential: string | null): Promise<SubtitleTrack> {
    const body = new FormData();
    // Fields first: the server reads them as the form streams in.
    body.append('label', fields.label);
    if (fields.lang) body.append('lang', fields.lang);
    body.append('file', file, file.name);
    const text = await this.send('POST', `/media/${encodeURIComponent(mediaId)}/subtitles`, credential, body);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = subtitleTrackSchema.safeParse(json);
    if (!parsed.success) throw new ApiRequestError(502, 'Unexpected answer from the server', 'Bad Gateway');
    return parsed.data;
  }

  async remove(mediaId: string, trackId: string, credential: string | null): Promise<void> {
    await this.send('DELETE', `/media/${encodeURIComponent(mediaId)}/subtitles/${encodeURIComponent(trackId)}`, credential);
  }

  private async send(method: 'POST' | 'DELETE', path: string, credential: string | null, body?: FormData): Promise<string> {
    let response: Response;
    let text: string;
    try {
      response = await this.injector.get(FETCH)(`${this.baseUrl}${path}`, {
        method,
        headers: { Accept: 'application/json', ...(credential ? { Authorization: `Bearer ${credential}` } : {}) },
        body,
        signal: AbortSignal.timeout(SUBTITLE_UPLOAD_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      throw networkError();
    }
    if (!response.ok) throw toApiRequestError(response.status, response.statusText, text);
    return text;
  }
}
