import { Injectable, inject } from '@angular/core';
import {
  createdLiveShowSchema,
  liveShowSchema,
  type CreatedLiveShow,
  type CreateLiveBody,
  type LiveShow,
} from '@watch-party/contracts';
import { z } from 'zod';
import { API_BASE_URL, ApiRequestError, FETCH, networkError, toApiRequestError } from './api.service';
import { ManageKeysService } from './manage-keys.service';

const REQUEST_TIMEOUT_MS = 15_000;
const liveShowListSchema = z.array(liveShowSchema);

/** Where a live show's HLS is served (the `{ kind: 'live' }` source resolves to it). */
export function liveHlsUrl(showId: string): string {
  return `/api/live/${encodeURIComponent(showId)}/hls/index.m3u8`;
}

/** REST for live shows (docs/api.md). */
@Injectable({ providedIn: 'root' })
export class LiveApiService {
  private readonly fetch = inject(FETCH);
  private readonly baseUrl = inject(API_BASE_URL);
  private readonly keys = inject(ManageKeysService);

  /** Sends the admin token when this browser is signed in (PUBLISH_POLICY=admin needs it). */
  create(body: CreateLiveBody): Promise<CreatedLiveShow> {
    return this.request('POST', '/live', createdLiveShowSchema, body, this.keys.adminToken());
  }

  /** Live first, then scheduled, then ended. */
  list(): Promise<LiveShow[]> {
    return this.request('GET', '/live', liveShowListSchema);
  }

  get(id: string): Promise<LiveShow> {
    return this.request('GET', `/live/${encodeURIComponent(id)}`, liveShowSchema);
  }

  /** The creator ends the show with its stream key. */
  end(id: string, streamKey: string): Promise<LiveShow> {
    return this.request('POST', `/live/${encodeURIComponent(id)}/end`, liveShowSchema, { streamKey });
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    bearer?: string | null,
  ): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      throw networkError();
    }
    if (!response.ok) throw toApiRequestError(response.status, response.statusText, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiRequestError(502, 'Unexpected answer from the server', 'Bad Gateway');
    return parsed.data;
  }
}
