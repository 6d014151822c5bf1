import { DestroyRef, Injectable, InjectionToken, computed, inject, signal } from '@angular/core';
import type { Media, MediaProgress, SubtitleFields, SubtitleTrack } from '@watch-party/contracts';
import { ApiService } from './api.service';
import { isApiRequestError } from './http';
import { ManageKeysService } from './manage-keys.service';
import { SubtitlesApiService } from './subtitles-api.service';

/** How often processing items are re-read while no socket pushes their progress. */
export const MEDIA_POLL_MS = new InjectionToken<number>('MEDIA_POLL_MS', {
  providedIn: 'root',
  factory: () => 1000,
});

export type LibraryState = 'idle' | 'loading' | 'ready' | 'error';

/** Whether a media item can be played now: HLS as soon as its first segments exist, else the file once ready. */
export function isPlayable(media: Media): boolean {
  return media.hlsUrl !== null || media.status === 'ready';
}

/** The URL a player should load for a media item, or null while it is not playable yet. */
export function playbackUrl(media: Media): string | null {
  if (media.status === 'failed') return media.fileUrl; // the original is still there
  // While processing, the master lists the lowest rung only (it plays within a second of the
  // upload); hls.js never re-reads a master, so the URL differs until the item is ready and the
  // player loads the full ladder once then (the server ignores the query).
  if (media.hlsUrl && media.status === 'processing') return `${media.hlsUrl}${media.hlsUrl.includes('?') ? '&' : '?'}ladder=partial`;
  return media.hlsUrl ?? (media.status === 'ready' ? media.fileUrl : null);
}

function loadErrorMessage(error: unknown): string {
  if (isApiRequestError(error) && error.isNetworkError) return "Couldn't reach the server. Check your connection and try again.";
  return isApiRequestError(error) ? `Couldn't load the library: ${error.message}` : "Couldn't load the library.";
}

/**
 * The media library as a list of signals: loads `GET /api/media`, re-reads every
 * processing item each `MEDIA_POLL_MS` (and applies `media:progress` pushes when a socket
 * feeds them in), renames and deletes items, adds and deletes their subtitle tracks, with
 * this browser's owner key or admin token.
 * Provide it per component.
 */
@Injectable()
export class MediaLibraryService {
  private readonly api = inject(ApiService);
  private readonly pollMs = inject(MEDIA_POLL_MS);
  private readonly keys = inject(ManageKeysService);
  private readonly subtitles = inject(SubtitlesApiService);
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;
  private destroyed = false;
  /** Ids deleted here: a late poll answer must not bring them back. */
  private readonly deleted = new Set<string>();

  readonly items = signal<Media[]>([]);
  readonly state = signal<LibraryState>('idle');
  readonly error = signal<string | null>(null);
  readonly processing = computed(() => this.items().some((m) => m.status === 'processing'));

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      clearTimeout(this.pollTimer);
    });
  }

  async load(): Promise<void> {
    if (this.state() !== 'ready') this.state.set('loading');
    this.error.set(null);
    const listedAt = Date.now();
    try {
      const items = await this.api.listMedia();
      // The whole library is listed: keys of items that are gone are of no use any more.
      this.keys.keepOwnerKeysFor(
        items.map((m) => m.id),
        listedAt,
      );
      if (this.destroyed) return;
      this.items.set(items.filter((m) => !this.deleted.has(m.id)));
      this.state.set('ready');
      this.schedulePoll();
    } catch (error) {
      if (this.destroyed) return;
      this.error.set(loadErrorMessage(error));
      this.state.set(this.state() === 'ready' ? 'ready' : 'error');
    }
  }

  /** A new or changed item (e.g. straight from an upload): newest first. */
  upsert(media: Media): void {
    if (this.deleted.has(media.id)) return;
    this.items.update((items) =>
      items.some((m) => m.id === media.id) ? items.map((m) => (m.id === media.id ? media : m)) : [media, ...items],
    );
    if (this.state() !== 'ready') this.state.set('ready');
    this.schedulePoll();
  }

  /** Deletes on the server, then here. Rejects with the ApiRequestError (a 404 counts as done). */
  async remove(id: string): Promise<void> {
    try {
      await this.api.deleteMedia(id, this.keys.credentialFor(id));
    } catch (error) {
      if (!(isApiRequestError(error) && error.statusCode === 404)) throw error;
    }
    this.forget(id);
  }

  /** Renames on the server, then here. Rejects with the ApiRequestError; a 404 also drops the item. */
  async rename(id: string, title: string): Promise<Media> {
    try {
      const media = await this.api.renameMedia(id, { title }, this.keys.credentialFor(id));
      if (!this.destroyed && !this.deleted.has(id)) this.items.update((items) => items.map((m) => (m.id === id ? media : m)));
      return media;
    } catch (error) {
      if (isApiRequestError(error) && error.statusCode === 404) this.forget(id);
      throw error;
    }
  }

  /**
   * Adds a subtitle track on the server, then to the item here, and re-reads the item.
   * Rejects with the ApiRequestError; a 404 also drops the item.
   */
  async addSubtitle(id: string, file: File, fields: SubtitleFields): Promise<SubtitleTrack> {
    try {
      const track = await this.subtitles.upload(id, file, fields, this.keys.credentialFor(id));
      this.updateSubtitles(id, (tracks) => [...tracks.filter((t) => t.id !== track.id), track]);
      void this.refresh(id);
      return track;
    } catch (error) {
      if (isApiRequestError(error) && error.statusCode === 404) this.forget(id);
      throw error;
    }
  }

  /** Deletes a subtitle track on the server, then here (a 404 counts as done). Rejects with the ApiRequestError. */
  async removeSubtitle(id: string, trackId: string): Promise<void> {
    try {
      await this.subtitles.remove(id, trackId, this.keys.credentialFor(id));
    } catch (error) {
      if (!(isApiRequestError(error) && error.statusCode === 404)) throw error;
    }
    this.updateSubtitles(id, (tracks) => tracks.filter((t) => t.id !== trackId));
    // The re-read also drops the item if the 404 was about the item itself.
    void this.refresh(id);
  }

  /** A `media:progress` push: update at once, re-read the item when something more than the number changed. */
  applyProgress(progress: MediaProgress): void {
    const current = this.items().find((m) => m.id === progress.id);
    if (!current) return;
    this.items.update((items) =>
      items.map((m) => (m.id === progress.id ? { ...m, progress: progress.progress, status: progress.status } : m)),
    );
    if (current.status !== progress.status || current.hlsUrl === null || current.posterUrl === null) {
      void this.refresh(progress.id);
    }
  }

  /** Re-reads one item; drops it when the server no longer has it. */
  async refresh(id: string): Promise<void> {
    try {
      const media = await this.api.getMedia(id);
      if (this.destroyed || this.deleted.has(id)) return;
      this.items.update((items) => items.map((m) => (m.id === id ? media : m)));
    } catch (error) {
      if (this.destroyed) return;
      if (isApiRequestError(error) && error.statusCode === 404) {
        this.items.update((items) => items.filter((m) => m.id !== id));
        this.keys.forgetOwnerKey(id);
      }
      // Anything else (offline for a moment): the next poll tries again.
    }
  }

  private updateSubtitles(id: string, change: (tracks: SubtitleTrack[]) => SubtitleTrack[]): void {
    if (this.destroyed || this.deleted.has(id)) return;
    this.items.update((items) => items.map((m) => (m.id === id ? { ...m, subtitles: change(m.subtitles) } : m)));
  }

  /** The item is gone from the server: drop it and its owner key. */
  private forget(id: string): void {
    this.deleted.add(id);
    this.items.update((items) => items.filter((m) => m.id !== id));
    this.keys.forgetOwnerKey(id);
  }

  private schedulePoll(): void {
    if (this.destroyed || this.polling || !this.processing()) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), this.pollMs);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const ids = this.items()
        .filter((m) => m.status === 'processing')
        .map((m) => m.id);
      await Promise.all(ids.map((id) => this.refresh(id)));
    } finally {
      this.polling = false;
    }
    this.schedulePoll();
  }
}
