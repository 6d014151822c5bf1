import { DOCUMENT, Injectable, inject } from '@angular/core';
import { z } from 'zod';

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
 * localStorage-backed identities (`wp.identity.<sessionId>`). When storage is unavailable
 * (disabled, quota, sandboxed iframe) it degrades to memory for this tab.
 */
@Injectable({ providedIn: 'root' })
export class IdentityStoreService {
  private readonly storage = resolveStorage(inject(DOCUMENT).defaultView);
  private readonly memory = new Map<string, string>();

  get(sessionId: string): Identity | null {
    const raw = this.read(identityKey(sessionId));
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
    this.write(identityKey(sessionId), JSON.stringify(identitySchema.parse(identity)));
    this.write(LAST_NAME_KEY, identity.name);
  }

  clear(sessionId: string): void {
    const key = identityKey(sessionId);
    this.memory.delete(key);
    try {
      this.storage?.removeItem(key);
    } catch {
      // Storage unavailable: memory already cleared.
    }
  }

  /** The name used last time, to prefill name fields. */
  lastName(): string {
    return this.read(LAST_NAME_KEY) ?? '';
  }

  private read(key: string): string | null {
    if (this.storage) {
      try {
        return this.storage.getItem(key) ?? this.memory.get(key) ?? null;
      } catch {
        // Fall back to memory.
      }
    }
    return this.memory.get(key) ?? null;
  }

  private write(key: string, value: string): void {
    if (this.storage) {
      try {
        this.storage.setItem(key, value);
        this.memory.delete(key);
        return;
      } catch {
        // Quota or privacy mode: a memory copy keeps this tab working.
      }
    }
    this.memory.set(key, value);
  }
}

function resolveStorage(view: (Window & typeof globalThis) | null): Storage | null {
  try {
    return view?.localStorage ?? null;
  } catch {
    return null;
  }
}
