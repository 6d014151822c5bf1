import { Injectable, inject } from '@angular/core';
import {
  createdLiveShowSchema,
  liveShowSchema,
  type CreatedLiveShow,
  type CreateLiveBody,
  type LiveShow,
} from '@watch-party/contracts';
import * as z from 'zod';
import { JsonHttp } from './http';
import { ManageKeysService } from './manage-keys.service';

const liveShowListSchema = z.array(liveShowSchema);

/** Where a live show's HLS is served (the `{ kind: 'live' }` source resolves to it). */
export function liveHlsUrl(showId: string): string {
  return `/api/live/${encodeURIComponent(showId)}/hls/index.m3u8`;
}

/** REST for live shows (docs/api.md). */
@Injectable({ providedIn: 'root' })
export class LiveApiService {
  private readonly http = inject(JsonHttp);
  private readonly keys = inject(ManageKeysService);

  /** Sends the admin token when this browser is signed in (PUBLISH_POLICY=admin needs it). */
  create(body: CreateLiveBody): Promise<CreatedLiveShow> {
    return this.http.request('POST', '/live', createdLiveShowSchema, { body, bearer: this.keys.adminToken() });
  }

  /** Live first, then scheduled, then ended. */
  list(): Promise<LiveShow[]> {
    return this.http.request('GET', '/live', liveShowListSchema);
  }

  get(id: string): Promise<LiveShow> {
    return this.http.request('GET', `/live/${encodeURIComponent(id)}`, liveShowSchema);
  }

  /** The creator ends the show with its stream key. */
  end(id: string, streamKey: string): Promise<LiveShow> {
    return this.http.request('POST', `/live/${encodeURIComponent(id)}/end`, liveShowSchema, { body: { streamKey } });
  }
}
