import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A form's end: the error of the whole form, if any, and its submit button, spinning while busy. */
@Component({
  selector: 'wp-form-submit',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { style: 'display: contents' },
  template: `
    @if (error(); as message) {
      <p class="alert alert-error" role="alert" [attr.data-testid]="errorTestId()">{{ message }}</p>
    }
    <button class="btn btn-primary btn-block" type="submit" [attr.data-testid]="testId()" [disabled]="busy()">
      @if (busy()) {
        <span class="spinner spinner-sm" aria-hidden="true"></span> {{ busyLabel() }}
      } @else {
        {{ label() }}
      }
    </button>
  `,
})
export class FormSubmitComponent {
  readonly label = input.required<string>();
  /** Said instead of the label while busy ("Creating…"). */
  readonly busyLabel = input.required<string>();
  readonly busy = input(false);
  readonly error = input<string | null>(null);
  readonly testId = input<string | null>(null);
  readonly errorTestId = input<string | null>(null);
}
