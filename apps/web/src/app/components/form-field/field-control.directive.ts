import { Directive, inject } from '@angular/core';
import { FormFieldComponent } from './form-field.component';

/** The control of the enclosing `<wp-form-field>`: takes its id and the field's error and hint state. */
@Directive({
  selector: '[wpFieldControl]',
  host: {
    '[id]': 'field.controlId()',
    '[attr.aria-invalid]': 'field.error() ? true : null',
    '[attr.aria-describedby]': 'field.describedBy()',
  },
})
export class FieldControlDirective {
  protected readonly field = inject(FormFieldComponent);
}
