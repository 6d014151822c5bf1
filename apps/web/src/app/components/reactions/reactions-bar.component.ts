import { ChangeDetectionStrategy, Component, DOCUMENT, DestroyRef, computed, inject, signal } from '@angular/core';
import { REACTION_EMOJIS, type ReactionEmoji } from '@watch-party/contracts';
import { SessionSocketService } from '../../services/session-socket.service';
import { REACTION_NAMES, isTypingTarget, reactionForKey } from './reactions';

/** After the server refuses a reaction as too fast, the bar rests this long (no error message). */
export const REACTION_COOLDOWN_MS = 1000;

/**
 * The eight reaction buttons under the player; keys 1-8 send them too, unless focus is in a text
 * field. A reaction the server refuses as too fast is dropped quietly: the bar dims for a moment.
 */
@Component({
  selector: 'wp-reactions-bar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div
      class="reactions-bar"
      role="toolbar"
      aria-label="Reactions (keys 1 to 8)"
      data-testid="reactions-bar"
      [class.cooling]="cooling()"
      [attr.data-cooling]="cooling() ? 'true' : null"
    >
      @for (emoji of emojis; track emoji; let i = $index) {
        <button
          type="button"
          class="reaction-btn"
          data-testid="reaction-button"
          [attr.data-emoji]="emoji"
          [attr.aria-label]="names[emoji]"
          [attr.aria-keyshortcuts]="i + 1"
          [attr.aria-disabled]="unavailable() ? 'true' : null"
          [title]="names[emoji] + ' (' + (i + 1) + ')'"
          (click)="react(emoji)"
        >
          <span aria-hidden="true">{{ emoji }}</span>
        </button>
      }
    </div>
  `,
  styleUrl: './reactions-bar.component.scss',
})
export class ReactionsBarComponent {
  private readonly socket = inject(SessionSocketService);
  protected readonly emojis = REACTION_EMOJIS;
  protected readonly names = REACTION_NAMES;
  protected readonly cooling = signal(false);
  /** Offline or resting after a refusal: presses do nothing (the buttons stay focusable). */
  protected readonly unavailable = computed(() => this.cooling() || this.socket.status() !== 'connected');
  private cooldownTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const document = inject(DOCUMENT);
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    document.addEventListener('keydown', onKey);
    inject(DestroyRef).onDestroy(() => {
      document.removeEventListener('keydown', onKey);
      clearTimeout(this.cooldownTimer);
    });
  }

  protected react(emoji: ReactionEmoji): void {
    if (this.unavailable()) return;
    void this.send(emoji);
  }

  private async send(emoji: ReactionEmoji): Promise<void> {
    const ack = await this.socket.request('reaction:send', { emoji });
    // Only "too fast" changes anything; other failures (offline, timeout) are not worth a message
    // for something this fleeting.
    if (!ack.ok && ack.error.code === 'RATE_LIMITED') this.coolDown();
  }

  private coolDown(): void {
    this.cooling.set(true);
    clearTimeout(this.cooldownTimer);
    this.cooldownTimer = setTimeout(() => this.cooling.set(false), REACTION_COOLDOWN_MS);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTypingTarget(event.target)) return;
    const emoji = reactionForKey(event.key);
    if (!emoji) return;
    event.preventDefault();
    this.react(emoji);
  }
}
