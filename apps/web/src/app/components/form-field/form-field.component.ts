import { ChangeDetectionStrategy, Component, booleanAttribute, computed, input } from '@angular/core';

/**
 * One labelled form field: the label, the projected control (mark it `wpFieldControl`), and
 * under it the error, or else the hint. The control gets its id, `aria-invalid` and
 * `aria-describedby` from here, so the label, the messages and the control always agree.
 */
@Component({
  selector: 'wp-form-field',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'field' },
  template: `
    <label class="label" [class.visually-hidden]="labelHidden()" [for]="controlId()"
      >{{ label() }}
      @if (optional()) {
        <span class="optional">optional</span>
      }
    </label>
    @if (hintAbove() && hint()) {
      <p class="hint" [id]="hintId()">{{ hint() }}</p>
    }
    <ng-content />
    @if (error(); as message) {
      <p class="field-error" role="alert" [id]="errorId()" [attr.data-testid]="errorTestId()">{{ message }}</p>
    } @else if (!hintAbove() && hint()) {
      <p class="hint" [id]="hintId()">{{ hint() }}</p>
    }
  `,
})
export class FormFieldComponent {
  readonly label = input.required<string>();
  /** The id the control gets (and the label points to); the messages are `<id>-error` and `<id>-hint`. */
  readonly controlId = input.required<string>();
  readonly error = input<string | null | undefined>(null);
  readonly hint = input<string | null>(null);
  /** The hint stands above the control and stays when there is an error (both describe it). */
  readonly hintAbove = input(false, { transform: booleanAttribute });
  /** Marks the label "optional". */
  readonly optional = input(false, { transform: booleanAttribute });
  /** For a placeholder-only look: the label is still there for screen readers. */
  readonly labelHidden = input(false, { transform: booleanAttribute });
  readonly errorTestId = input<string | null>(null);

  readonly errorId = computed(() => `${this.controlId()}-error`);
  readonly hintId = computed(() => `${this.controlId()}-hint`);
  /** The messages on screen, for the control's `aria-describedby`. */
  readonly describedBy = computed(() => {
    const error = !!this.error();
    const ids = [
      ...(this.hint() && (this.hintAbove() || !error) ? [this.hintId()] : []),
      ...(error ? [this.errorId()] : []),
    ];
    return ids.length > 0 ? ids.join(' ') : null;
  });
}
