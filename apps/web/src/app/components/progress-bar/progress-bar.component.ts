import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A thin progress bar (upload, transcoding) that says its percentage to screen readers. */
@Component({
  selector: 'wp-progress-bar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    class: 'progress',
    role: 'progressbar',
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    '[attr.aria-valuenow]': 'percent()',
    '[attr.aria-valuetext]': 'valueText()',
    '[attr.aria-label]': 'label()',
    '[attr.aria-labelledby]': 'labelledBy()',
  },
  template: `<span class="progress-bar" [style.width.%]="percent()"></span>`,
  styles: `
    :host {
      display: block;
    }
  `,
})
export class ProgressBarComponent {
  /** 0 to 100. */
  readonly percent = input.required<number>();
  readonly label = input<string | null>(null);
  /** The id of what names the bar, instead of `label`. */
  readonly labelledBy = input<string | null>(null);
  /** Said instead of the bare percentage ("42%, 3 MB of 7 MB"). */
  readonly valueText = input<string | null>(null);
}
