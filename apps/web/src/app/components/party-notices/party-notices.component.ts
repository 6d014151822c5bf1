import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import type { Source } from '@watch-party/contracts';
import { CurrentMediaService } from '../../services/current-media.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { transientMessage } from '../../util/transient-message';
import { cantPlaySummary, fallbackTitle, hostNotice, reasonText, sameSource } from './party-notices';

/** How long "Bo is now the host" stays. */
export const HOST_NOTICE_MS = 6000;
/** How long a failed "Go back" says why. */
export const GO_BACK_ERROR_MS = 6000;

interface KnownSource {
  source: Source;
  title: string;
}

/**
 * Short notices under the player: who became host (for a few seconds), and who can't play the
 * current video, with a one-click way back to the previous one for controllers.
 */
@Component({
  selector: 'wp-party-notices',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <!-- Always in the page, so screen readers announce what appears in it. -->
    <p class="visually-hidden" role="status" data-testid="host-notice-status">{{ hostChange() }}</p>
    @if (hostChange(); as message) {
      <p class="notice notice-info" aria-hidden="true" data-testid="host-notice">
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M4 18h16l-1.5-9-4.5 4-2-7-2 7-4.5-4z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
        </svg>
        <span>{{ message }}</span>
      </p>
    }
    @if (failing().length > 0) {
      <div class="notice notice-warning" role="status" data-testid="cant-play">
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 3 2 20h20zM12 10v4m0 3v.01" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />
        </svg>
        <div class="notice-body">
          <p class="notice-text" data-testid="cant-play-text">{{ summary() }}</p>
          @if (failing().length > 1) {
            <details class="notice-details">
              <summary>Why</summary>
              <ul>
                @for (p of failing(); track p.id) {
                  <li>{{ p.name }}: {{ reason(p.error) || 'no reason given' }}</li>
                }
              </ul>
            </details>
          }
          @if (goBackError(); as message) {
            <p class="notice-error" role="alert" data-testid="go-back-error">{{ message }}</p>
          }
        </div>
        @if (canControl() && previous(); as prev) {
          <button
            type="button"
            class="btn btn-secondary btn-sm"
            data-testid="go-back"
            [disabled]="goingBack()"
            (click)="goBack(prev.source)"
          >
            Go back to “{{ prev.title }}”
          </button>
        }
      </div>
    }
  `,
  styleUrl: './party-notices.component.scss',
})
export class PartyNoticesComponent {
  private readonly socket = inject(SessionSocketService);
  private readonly currentMedia = inject(CurrentMediaService, { optional: true });

  /** "Bo is now the host" while it is news. */
  protected readonly hostChange = transientMessage(HOST_NOTICE_MS);
  /** The others who report that the current source does not play for them. */
  protected readonly failing = computed(() => {
    const youId = this.socket.you()?.id;
    const outdated = this.outdatedErrors();
    return this.socket
      .participants()
      .filter((p) => p.status === 'error' && p.connected && p.id !== youId && outdated.get(p.id) !== (p.error ?? ''));
  });
  /**
   * Errors reported before the source last changed (participant id -> its error): about the old
   * video, so not shown until that participant reports again.
   */
  private readonly outdatedErrors = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly reason = reasonText;
  protected readonly summary = computed(() => cantPlaySummary(this.failing()));
  protected readonly canControl = computed(() => {
    const you = this.socket.you();
    return you !== null && (you.role !== 'viewer' || this.socket.session()?.controlPolicy === 'everyone');
  });
  /** The source before the current one, as seen on this page (none after a fresh load). */
  protected readonly previous = signal<KnownSource | null>(null);
  protected readonly goingBack = signal(false);
  protected readonly goBackError = transientMessage(GO_BACK_ERROR_MS);

  private lastHostId: string | null = null;
  private current: KnownSource | null = null;

  constructor() {
    effect(() => {
      const host = this.socket.participants().find((p) => p.role === 'host') ?? null;
      untracked(() => {
        // No host for a moment (the host left and the server has not picked the next): keep
        // the last one, so the hand-over still reads as a change.
        if (!host || host.id === this.lastHostId) return;
        const before = this.lastHostId;
        this.lastHostId = host.id;
        if (before !== null) this.hostChange.show(hostNotice(host, this.socket.you()?.id ?? null));
      });
    });
    effect(() => {
      const participants = this.socket.participants();
      untracked(() => {
        const outdated = this.outdatedErrors();
        if (outdated.size === 0) return;
        // Whoever reported anything else since is no longer outdated.
        const still = new Map([...outdated].filter(([id, error]) => participants.some((p) => p.id === id && p.status === 'error' && (p.error ?? '') === error)));
        if (still.size !== outdated.size) this.outdatedErrors.set(still);
      });
    });
    effect(() => {
      const source = this.socket.session()?.source ?? null;
      const media = this.currentMedia?.media() ?? null;
      untracked(() => this.trackSource(source, media?.id ?? null, media?.title ?? null));
    });
  }

  protected async goBack(source: Source): Promise<void> {
    this.goingBack.set(true);
    this.goBackError.show(null);
    try {
      const ack = await this.socket.request('source:set', { source });
      if (!ack.ok) this.goBackError.show(`Couldn't go back: ${ack.error.message}`);
    } finally {
      this.goingBack.set(false);
    }
  }

  private trackSource(source: Source | null, mediaId: string | null, mediaTitle: string | null): void {
    if (source === null) return;
    if (this.current && sameSource(this.current.source, source)) {
      // The library item's title arrives after the source: keep the best name we have.
      if (source.kind === 'media' && mediaId === source.mediaId && mediaTitle) this.current = { source, title: mediaTitle };
      return;
    }
    if (this.current) {
      this.previous.set(this.current);
      this.outdatedErrors.set(new Map(this.socket.participants().filter((p) => p.status === 'error').map((p) => [p.id, p.error ?? ''])));
    }
    const title = (source.kind === 'media' && mediaId === source.mediaId && mediaTitle) || fallbackTitle(source);
    this.current = { source, title };
  }
}
