import { FieldControlDirective } from './field-control.directive';
import { FormFieldComponent } from './form-field.component';
import { FormSubmitComponent } from './form-submit.component';
import { NameFieldComponent } from './name-field.component';
import { NameInputDirective } from './name-input.directive';

/** What a form's template imports: the field and its control marker, the name input and field, the submit row. */
export const FORM_FIELD = [
  FormFieldComponent,
  FieldControlDirective,
  NameInputDirective,
  NameFieldComponent,
  FormSubmitComponent,
] as const;
