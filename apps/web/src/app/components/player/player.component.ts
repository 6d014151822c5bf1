import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { Source } from '@watch-party/contracts';

/** Video area. A placeholder until the synced player lands (later issue). */
@Component({
  selector: 'wp-player',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="player-frame" role="img" [attr.aria-label]="source() ? 'Video player' : 'No video yet'">
      @if (!source()) {
        <div class="player-empty">
          <svg class="player-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M8 5.5v13l10.5-6.5z" fill="currentColor" />
          </svg>
          <p class="player-title">No video yet</p>
          <p class="player-hint">The host will pick something to watch.</p>
        </div>
      }
    </div>
  `,
  styleUrl: './player.component.scss',
})
export class PlayerComponent {
  readonly source = input<Source | null>(null);
}
