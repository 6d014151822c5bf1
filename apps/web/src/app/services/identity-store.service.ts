import { Injectable, inject } from '@angular/core';
import * as z from 'zod';
import { BrowserStorageService } from './browser-storage.service';

/** What a browser keeps per party to come back as the same participant. */
export const identitySchema = z.object({
  token: z.string().min(1),
  participantId: z.string().min(1),
  name: z.string(),
});
export type Identity = z.infer<typeof identitySchema>;

export const IDENTITY_KEY_PREFIX = 'wp.identity.';
export const LAST_NAME_KEY = 'wp.lastName';

export function identityKey(sessionId: string): string {
  return `${IDENTITY_KEY_PREFIX}${sessionId}`;
}

/**
 * Identities kept in the browser's storage (`wp.identity.<sessionId>`), through
 * BrowserStorageService (memory for this tab when storage is unavailable).
 */
@Injectable({ providedIn: 'root' })
export class IdentityStoreService {
  private readonly store = inject(BrowserStorageService);

  get(sessionId: string): Identity | null {
    const raw = this.store.read(identityKey(sessionId));
    if (raw === null) return null;
    try {
      const parsed = identitySchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // Corrupt entry: fall through and drop it.
    }
    this.clear(sessionId);
    return null;
  }

  set(sessionId: string, identity: Identity): void {
    this.store.write(identityKey(sessionId), JSON.stringify(identitySchema.parse(identity)));
    this.store.write(LAST_NAME_KEY, identity.name);
  }

  clear(sessionId: string): void {
    this.store.remove(identityKey(sessionId));
  }

  /** The name used last time, to prefill name fields. */
  lastName(): string {
    return this.store.read(LAST_NAME_KEY) ?? '';
  }
}
