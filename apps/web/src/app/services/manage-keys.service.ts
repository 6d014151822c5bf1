import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import * as z from 'zod';
import { BrowserStorageService } from './browser-storage.service';

/** `{ [mediaId]: { key, savedAt } }`: the owner key the server gave this browser for each upload. */
export const OWNER_KEYS_KEY = 'wp.ownerKeys';
/** The admin token pasted into "Admin sign-in" (after the server accepted it). */
export const ADMIN_TOKEN_KEY = 'wp.adminToken';

/** The server reads at most this many characters of a bearer token. */
const MAX_TOKEN_CHARS = 512;

const tokenSchema = z.string().min(1).max(MAX_TOKEN_CHARS);
const ownerKeyEntrySchema = z.object({ key: tokenSchema, savedAt: z.number() });
type OwnerKeyEntry = z.infer<typeof ownerKeyEntrySchema>;
type OwnerKeys = Readonly<Record<string, OwnerKeyEntry>>;

/** Keeps the well-formed entries of a stored map and drops the rest (an old or hand-edited value). */
function parseOwnerKeys(raw: string | null): OwnerKeys {
  if (raw === null) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return {};
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return {};
  const keys: Record<string, OwnerKeyEntry> = {};
  for (const [id, value] of Object.entries(json)) {
    const entry = ownerKeyEntrySchema.safeParse(value);
    if (entry.success) keys[id] = entry.data;
  }
  return keys;
}

/**
 * What this browser may manage in the media library: the owner key of each item uploaded
 * from here (shown by the server only once) and the admin token. Both survive a reload and
 * follow changes made in other tabs.
 */
@Injectable({ providedIn: 'root' })
export class ManageKeysService {
  private readonly store = inject(BrowserStorageService);
  private readonly ownerKeys = signal<OwnerKeys>({});
  private readonly admin = signal<string | null>(null);

  /** The stored admin token, or null when this browser is not signed in as admin. */
  readonly adminToken = this.admin.asReadonly();
  readonly isAdmin = computed(() => this.admin() !== null);

  constructor() {
    this.reloadOwnerKeys();
    this.reloadAdminToken();
    const stopOwner = this.store.watch(OWNER_KEYS_KEY, () => this.reloadOwnerKeys());
    const stopAdmin = this.store.watch(ADMIN_TOKEN_KEY, () => this.reloadAdminToken());
    inject(DestroyRef).onDestroy(() => {
      stopOwner();
      stopAdmin();
    });
  }

  ownerKey(mediaId: string): string | null {
    return this.ownerKeys()[mediaId]?.key ?? null;
  }

  /** Rename and delete are offered for items this browser owns, or for all of them to the admin. */
  canManage(mediaId: string): boolean {
    return this.ownerKey(mediaId) !== null || this.isAdmin();
  }

  /** What to send as `Authorization: Bearer …` to manage an item: its owner key, else the admin token. */
  credentialFor(mediaId: string): string | null {
    return this.ownerKey(mediaId) ?? this.admin();
  }

  saveOwnerKey(mediaId: string, key: string): void {
    if (!tokenSchema.safeParse(key).success) return;
    this.updateOwnerKeys((keys) => ({ ...keys, [mediaId]: { key, savedAt: Date.now() } }));
  }

  forgetOwnerKey(mediaId: string): void {
    this.updateOwnerKeys((keys) => {
      if (!(mediaId in keys)) return keys;
      const rest = { ...keys };
      delete rest[mediaId];
      return rest;
    });
  }

  /**
   * Drops the keys of items the server no longer lists. `listedAt` is when the list was
   * asked for: a key saved after it (an upload that finished meanwhile, maybe in another
   * tab) is kept, since that list could not contain its item yet.
   */
  keepOwnerKeysFor(existingIds: Iterable<string>, listedAt: number): void {
    const existing = new Set(existingIds);
    this.updateOwnerKeys((keys) => {
      const kept = Object.entries(keys).filter(([id, entry]) => existing.has(id) || entry.savedAt >= listedAt);
      return kept.length === Object.keys(keys).length ? keys : Object.fromEntries(kept);
    });
  }

  /** Stores a token the server has accepted (`GET /api/admin/me` answered 200). */
  setAdminToken(token: string): void {
    if (!tokenSchema.safeParse(token).success) return;
    this.store.write(ADMIN_TOKEN_KEY, token);
    this.admin.set(token);
  }

  forgetAdminToken(): void {
    this.store.remove(ADMIN_TOKEN_KEY);
    this.admin.set(null);
  }

  /** Read-modify-write from storage, so a key another tab saved a moment ago is not lost. */
  private updateOwnerKeys(change: (keys: OwnerKeys) => OwnerKeys): void {
    const current = parseOwnerKeys(this.store.read(OWNER_KEYS_KEY));
    const next = change(current);
    if (next !== current) {
      if (Object.keys(next).length === 0) this.store.remove(OWNER_KEYS_KEY);
      else this.store.write(OWNER_KEYS_KEY, JSON.stringify(next));
    }
    this.ownerKeys.set(next);
  }

  private reloadOwnerKeys(): void {
    this.ownerKeys.set(parseOwnerKeys(this.store.read(OWNER_KEYS_KEY)));
  }

  private reloadAdminToken(): void {
    const raw = this.store.read(ADMIN_TOKEN_KEY);
    this.admin.set(raw !== null && tokenSchema.safeParse(raw).success ? raw : null);
  }
}
