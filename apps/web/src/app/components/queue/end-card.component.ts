import { ChangeDetectionStrategy, Component, DOCUMENT, computed, inject, signal } from '@angular/core';
import type { AckError } from '@watch-party/contracts';
import { CurrentMediaService } from '../../services/current-media.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { SyncEngineService } from '../../services/sync-engine.service';
import { controls, queueErrorMessage } from './queue-panel.component';

/**
 * The group is at the end when it rests within this of the duration: the server pauses
 * there exactly (a library item) or where a controller's copy ran out (a link).
 */
export const END_TOLERANCE_S = 0.5;

/**
 * Over the picture when the group has reached the end and paused there (the queue was
 * empty): "Finished", and for controllers "Replay", "Play next: <title>" (something was
 * queued since) or "Pick something else"; for everyone else "waiting for the host".
 * The end is known from the library item's duration, else the element's.
 */
@Component({
  selector: 'wp-end-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'end-card-host' },
  template: `
    @if (finished()) {
      <div class="end-card" role="status" aria-live="polite" data-testid="end-card">
        <svg class="end-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
        @if (canControl()) {
          <p class="end-title">Finished</p>
          <div class="end-actions">
            @if (nextItem(); as item) {
              <button type="button" class="btn btn-primary" data-testid="end-next" [disabled]="busy()" (click)="playNext()">
                Play next: <span class="end-next-title">{{ item.title }}</span>
              </button>
            } @else {
              <button type="button" class="btn btn-primary" data-testid="end-pick" (click)="pickSomething()">Pick something else</button>
            }
            <button type="button" class="btn btn-secondary" data-testid="end-replay" [disabled]="busy()" (click)="replay()">
              <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M5 12a7 7 0 1 0 2.05-4.95M5 4.5V8h3.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
              </svg>
              Replay
            </button>
          </div>
        } @else {
          <p class="end-title">Finished — waiting for the host</p>
          @if (nextItem(); as item) {
            <p class="end-hint">Up next: {{ item.title }}</p>
          }
        }
        @if (error(); as message) {
          <p class="end-error" role="alert" data-testid="end-error">{{ message }}</p>
        }
      </div>
    }
  `,
  styleUrl: './end-card.component.scss',
})
export class EndCardComponent {
  private readonly socket = inject(SessionSocketService);
  private readonly engine = inject(SyncEngineService);
  private readonly currentMedia = inject(CurrentMediaService);
  private readonly document = inject(DOCUMENT);

  protected readonly canControl = computed(() => controls(this.socket));
  protected readonly nextItem = computed(() => this.socket.queue()[0] ?? null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  /** Seconds: the library item's duration when known, else the element's. */
  readonly duration = computed(() => {
    const source = this.socket.session()?.source ?? null;
    if (!source || source.kind === 'live') return null;
    const media = this.currentMedia.media();
    if (source.kind === 'media' && media?.id === source.mediaId && media.durationSec !== null && media.durationSec > 0) {
      return media.durationSec;
    }
    return this.engine.videoDuration();
  });

  readonly finished = computed(() => {
    const state = this.socket.playback();
    const duration = this.duration();
    if (!state || state.playing || duration === null) return false;
    return state.position >= duration - END_TOLERANCE_S;
  });

  protected async replay(): Promise<void> {
    await this.run(() => this.socket.request('playback:control', { action: 'play', position: 0 }));
  }

  protected async playNext(): Promise<void> {
    await this.run(() => this.socket.request('queue:next', {}));
  }

  protected pickSomething(): void {
    const picker = this.document.getElementById('source-picker');
    picker?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    picker?.focus({ preventScroll: true });
  }

  private async run(request: () => Promise<{ ok: true } | AckError>): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      const ack = await request();
      if (!ack.ok) this.error.set(queueErrorMessage(ack.error));
    } finally {
      this.busy.set(false);
    }
  }
}
