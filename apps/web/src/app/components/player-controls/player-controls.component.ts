import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { NgTemplateOutlet } from '@angular/common';

/** Where the volume sits: right after play/pause (live) or after the spacer, on the right (party player). */
export type VolumePlacement = 'start' | 'end';
/** What the volume slider does on a narrow screen: hidden (mute button only) or shorter. */
export type NarrowVolume = 'hide' | 'shrink';

/**
 * The control bar the party player and the live page share: play/pause, mute with a volume
 * slider, full screen, and slots for what each adds — `[wpControlsLead]` after play/pause (the
 * time, the LIVE button), `[wpControlsTrail]` before full screen (speed, quality, captions).
 * Presentational: it shows what it is given and says what was asked; the host owns the <video>
 * and the keyboard shortcuts (the slider keeps its `volume-slider` class for them).
 */
@Component({
  selector: 'wp-player-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [NgTemplateOutlet],
  host: { '[class.volume-shrinks]': "narrowVolume() === 'shrink'" },
  templateUrl: './player-controls.component.html',
  styleUrl: './player-controls.component.scss',
})
export class PlayerControlsComponent {
  /** Playing: the button offers Pause. */
  readonly playing = input.required<boolean>();
  readonly playLabel = input.required<string>();
  readonly playTitle = input<string | null>(null);
  readonly playDisabled = input(false);
  /** Why play/pause is locked (a tooltip over the disabled button). */
  readonly lockTitle = input<string | null>(null);
  readonly muted = input.required<boolean>();
  /** 0..1 */
  readonly volume = input.required<number>();
  readonly fullscreen = input.required<boolean>();
  readonly volumePlacement = input<VolumePlacement>('end');
  readonly narrowVolume = input<NarrowVolume>('hide');

  readonly togglePlay = output();
  readonly toggleMute = output();
  readonly volumeChange = output<number>();
  readonly toggleFullscreen = output();

  protected readonly silent = computed(() => this.muted() || this.volume() === 0);
  protected readonly volumeIcon = computed(() => (this.silent() ? 'muted' : this.volume() < 0.5 ? 'low' : 'high'));
  protected readonly volumeText = computed(() => `${this.muted() ? 0 : Math.round(this.volume() * 100)}%`);
}
