import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import type { Reaction, ReactionEmoji } from '@watch-party/contracts';
import { SessionSocketService } from '../../services/session-socket.service';

/** How long one reaction floats over the picture (the CSS animation lasts as long). */
export const REACTION_FLOAT_MS = 1800;
/** At most this many at once: the oldest goes first. */
export const MAX_FLOATING_REACTIONS = 24;

export interface FloatingReaction {
  key: number;
  emoji: ReactionEmoji;
  name: string;
  /** left edge, % of the picture's width */
  left: number;
}

/**
 * Every reaction anyone sends, floating up over the picture for a moment with the sender's name.
 * It sits in the player's overlay slot (so it goes fullscreen with the picture), takes no room
 * and no clicks; with reduced motion it only fades.
 */
@Component({
  selector: 'wp-reaction-burst',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { 'aria-hidden': 'true', 'data-testid': 'reaction-burst' },
  template: `
    @for (r of floating(); track r.key) {
      <span class="float" data-testid="reaction-float" [attr.data-emoji]="r.emoji" [style.left.%]="r.left">
        <span class="float-emoji">{{ r.emoji }}</span>
        <span class="float-name" data-testid="reaction-name">{{ r.name }}</span>
      </span>
    }
  `,
  styleUrl: './reaction-burst.component.scss',
})
export class ReactionBurstComponent {
  private readonly socket = inject(SessionSocketService);
  protected readonly floating = signal<FloatingReaction[]>([]);
  private nextKey = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Where the next one floats, 0..1 (replaced in tests). */
  random: () => number = Math.random;

  constructor() {
    const stop = this.socket.onReaction((reaction) => this.show(reaction));
    inject(DestroyRef).onDestroy(() => {
      stop();
      for (const timer of this.timers) clearTimeout(timer);
    });
  }

  private show(reaction: Reaction): void {
    const key = this.nextKey++;
    // 4..84 %: the widest name still fits inside the picture.
    const left = 4 + Math.round(this.random() * 800) / 10;
    const item: FloatingReaction = { key, emoji: reaction.emoji, name: this.nameOf(reaction.participantId), left };
    this.floating.update((list) => [...list, item].slice(-MAX_FLOATING_REACTIONS));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.floating.update((list) => list.filter((r) => r.key !== key));
    }, REACTION_FLOAT_MS);
    this.timers.add(timer);
  }

  private nameOf(participantId: string): string {
    if (participantId === this.socket.you()?.id) return 'You';
    return this.socket.participants().find((p) => p.id === participantId)?.name ?? 'Someone';
  }
}
