import { DestroyRef, Injectable, effect, inject, signal, untracked } from '@angular/core';
import type { Media, MediaProgress } from '@watch-party/contracts';
import { ApiService } from './api.service';
import { isApiRequestError } from './http';
import { MEDIA_POLL_MS } from './media-library.service';
import { SessionSocketService } from './session-socket.service';

/**
 * The media item behind the party's `{ kind: 'media' }` source, kept fresh for the player:
 * taken from the snapshot, re-read on every session change (`session:update`, snapshots)
 * and on `media:progress` for that item (also sent when a ready item's subtitle tracks change), and polled while it is still transcoding without
 * a playable HLS stream (in case progress pushes are missed). Provide it per watch page.
 */
@Injectable()
export class CurrentMediaService {
  private readonly socket = inject(SessionSocketService);
  private readonly api = inject(ApiService);
  private readonly pollMs = inject(MEDIA_POLL_MS);

  /** The item when known, for the current source only. */
  readonly media = signal<Media | null>(null);
  /** Why the item can't be shown (deleted, unreachable), else null. */
  readonly problem = signal<string | null>(null);

  private mediaId: string | null = null;
  private generation = 0;
  private inFlight = false;
  private again = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private destroyed = false;
  /** The server said 404: stop asking until the source changes. */
  private gone = false;

  constructor() {
    effect(() => {
      const source = this.socket.session()?.source ?? null;
      const snapshot = this.socket.snapshotMedia();
      untracked(() => this.track(source?.kind === 'media' ? source.mediaId : null, snapshot));
    });
    const off = this.socket.onMediaProgress((progress) => this.onProgress(progress));
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      off();
      clearTimeout(this.pollTimer);
    });
  }

  private track(id: string | null, snapshot: Media | null): void {
    if (id !== this.mediaId) {
      this.mediaId = id;
      this.generation++;
      this.inFlight = false;
      this.again = false;
      clearTimeout(this.pollTimer);
      this.gone = false;
      this.problem.set(null);
      this.media.set(id !== null && snapshot?.id === id ? snapshot : null);
    } else if (id !== null && snapshot?.id === id && !this.media()) {
      this.media.set(snapshot);
    }
    if (id !== null) void this.fetch();
  }

  private onProgress(progress: MediaProgress): void {
    const current = this.media();
    if (progress.id !== this.mediaId) return;
    if (current) this.media.set({ ...current, progress: progress.progress, status: progress.status });
    // The number alone is patched; a new state, the first segments or the poster need a re-read,
    // and so does any news of a ready item (the server says so when its subtitle tracks change).
    if (
      !current ||
      current.status !== progress.status ||
      progress.status === 'ready' ||
      current.hlsUrl === null ||
      current.posterUrl === null
    ) {
      void this.fetch();
    }
  }

  private async fetch(): Promise<void> {
    const id = this.mediaId;
    if (id === null || this.destroyed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    this.inFlight = true;
    clearTimeout(this.pollTimer);
    try {
      const media = await this.api.getMedia(id);
      if (generation !== this.generation || this.destroyed) return;
      this.gone = false;
      this.media.set(media);
      this.problem.set(null);
    } catch (error) {
      if (generation !== this.generation || this.destroyed) return;
      if (isApiRequestError(error) && error.statusCode === 404) {
        this.gone = true;
        this.media.set(null);
        this.problem.set('This video was deleted from the library. Pick another one.');
        return;
      }
      if (!this.media()) this.problem.set("Couldn't load this video's details. Retrying…");
    } finally {
      if (generation === this.generation) {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          void this.fetch();
        } else {
          this.schedulePoll();
        }
      }
    }
  }

  private schedulePoll(): void {
    const media = this.media();
    const waiting = !this.gone && (media === null || (media.status === 'processing' && media.hlsUrl === null));
    if (this.destroyed || this.mediaId === null || !waiting) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.fetch(), this.pollMs);
  }
}
