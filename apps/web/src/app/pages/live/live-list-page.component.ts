import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { LiveShow } from '@watch-party/contracts';
import { isApiRequestError } from '../../services/http';
import { LiveApiService } from '../../services/live-api.service';
// From util, not from the show page: importing that page would load its players and socket code here.
import { formatClock, viewersText } from '../../util/format';

const POLL_MS = 5000;
const ENDED_SHOWN = 12;

/** "Started 20:15", "Created 19:02", "Ended 21:40". */
export function showTimeText(show: LiveShow): string {
  if (show.status === 'ended' && show.endedAt) return `Ended ${formatClock(Date.parse(show.endedAt))}`;
  if (show.startedAt) return `Started ${formatClock(Date.parse(show.startedAt))}`;
  return show.createdAt ? `Created ${formatClock(Date.parse(show.createdAt))}` : '';
}

/** "Live now": shows on air first with viewer counts, then upcoming, then recent ones. */
@Component({
  selector: 'wp-live-list-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink],
  templateUrl: './live-list-page.component.html',
  styleUrl: './live-list-page.component.scss',
})
export class LiveListPageComponent {
  private readonly live = inject(LiveApiService);

  protected readonly shows = signal<LiveShow[] | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly onAir = computed(() => (this.shows() ?? []).filter((s) => s.status === 'live'));
  protected readonly upcoming = computed(() => (this.shows() ?? []).filter((s) => s.status === 'scheduled'));
  protected readonly past = computed(() => (this.shows() ?? []).filter((s) => s.status === 'ended').slice(0, ENDED_SHOWN));
  private timer: ReturnType<typeof setTimeout> | undefined;
  private destroyed = false;

  /** Shows whose picture failed (audio-only, or not ready): the gradient card instead. */
  protected readonly noThumb = signal<ReadonlySet<string>>(new Set());
  /** Bumped at each refresh so the pictures follow the stream (the server keeps one for 10 s). */
  private readonly refreshes = signal(0);
  protected readonly viewers = viewersText;
  protected readonly timeText = showTimeText;

  constructor() {
    void this.refresh();
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      clearTimeout(this.timer);
    });
  }

  protected thumbUrl(s: LiveShow): string {
    return `/api/live/${encodeURIComponent(s.id)}/thumbnail.jpg?v=${this.refreshes()}`;
  }

  protected thumbFailed(id: string): void {
    this.noThumb.update((ids) => new Set([...ids, id]));
  }

  protected async refresh(): Promise<void> {
    clearTimeout(this.timer);
    try {
      this.shows.set(await this.live.list());
      this.refreshes.update((n) => n + 1);
      this.error.set(null);
    } catch (error) {
      this.error.set(
        isApiRequestError(error) && error.isNetworkError ? "Can't reach the server. Retrying…" : "Couldn't load the shows. Retrying…",
      );
    }
    if (!this.destroyed) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
  }
}
