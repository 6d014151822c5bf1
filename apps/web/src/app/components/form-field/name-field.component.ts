import { ChangeDetectionStrategy, Component, type ElementRef, input, output, viewChild } from '@angular/core';
import { FieldControlDirective } from './field-control.directive';
import { FormFieldComponent } from './form-field.component';
import { NameInputDirective } from './name-input.directive';

/** The required "Your name" field of the create, join and go-live forms. */
@Component({
  selector: 'wp-name-field',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FormFieldComponent, FieldControlDirective, NameInputDirective],
  host: { style: 'display: contents' },
  template: `
    <wp-form-field label="Your name" [controlId]="controlId()" [error]="error()">
      <input
        #field
        wpFieldControl
        wpNameInput
        class="input"
        required
        [name]="name()"
        [value]="value()"
        [attr.data-testid]="testId()"
        (input)="edited.emit(field.value)"
      />
    </wp-form-field>
  `,
})
export class NameFieldComponent {
  readonly controlId = input.required<string>();
  /** The form control's name (what the browser remembers it by). */
  readonly name = input.required<string>();
  readonly value = input('');
  readonly error = input<string | null | undefined>(null);
  readonly testId = input<string | null>(null);
  readonly edited = output<string>();

  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');

  focus(): void {
    this.field().nativeElement.focus();
  }
}
