import { Injectable, inject } from '@angular/core';
import {
  adminMeSchema,
  healthSchema,
  joinedSessionSchema,
  mediaSchema,
  sessionInfoSchema,
  type CreateSessionBody,
  type Health,
  type JoinedSession,
  type JoinSessionBody,
  type Media,
  type RenameMediaBody,
  type SessionInfo,
} from '@watch-party/contracts';
import * as z from 'zod';
import { JsonHttp } from './http';

const mediaListSchema = z.array(mediaSchema);
/** A 204 answer: no body to parse. */
const noContent = z.unknown();

@Injectable({ providedIn: 'root' })
export class ApiService {
  private readonly http = inject(JsonHttp);

  createSession(body: CreateSessionBody): Promise<JoinedSession> {
    return this.http.request('POST', '/sessions', joinedSessionSchema, { body });
  }

  getSession(id: string): Promise<SessionInfo> {
    return this.http.request('GET', `/sessions/${encodeURIComponent(id)}`, sessionInfoSchema);
  }

  joinSession(id: string, body: JoinSessionBody): Promise<JoinedSession> {
    return this.http.request('POST', `/sessions/${encodeURIComponent(id)}/participants`, joinedSessionSchema, { body });
  }

  /** The media library, newest first. */
  listMedia(): Promise<Media[]> {
    return this.http.request('GET', '/media', mediaListSchema);
  }

  getMedia(id: string): Promise<Media> {
    return this.http.request('GET', `/media/${encodeURIComponent(id)}`, mediaSchema);
  }

  /** Needs the item's owner key or the admin token (401 without, 403 with a wrong one). */
  async deleteMedia(id: string, credential: string | null): Promise<void> {
    await this.http.request('DELETE', `/media/${encodeURIComponent(id)}`, noContent, { bearer: credential });
  }

  /** Needs the item's owner key or the admin token, like delete. */
  renameMedia(id: string, body: RenameMediaBody, credential: string | null): Promise<Media> {
    return this.http.request('PATCH', `/media/${encodeURIComponent(id)}`, mediaSchema, { body, bearer: credential });
  }

  /** 200 when `token` is this server's admin token, else a 401 ApiRequestError. */
  async adminMe(token: string): Promise<void> {
    await this.http.request('GET', '/admin/me', adminMeSchema, { bearer: token });
  }

  /** Liveness, and whether the server can transcode uploads to HLS. */
  health(): Promise<Health> {
    return this.http.request('GET', '/health', healthSchema);
  }
}
