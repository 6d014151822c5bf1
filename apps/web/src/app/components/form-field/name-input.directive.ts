import { Directive } from '@angular/core';
import { displayName } from '@watch-party/contracts';

/** The longest display name the server accepts. */
export const NAME_MAX_CHARS = displayName.maxLength;

/** A "your name" text input: the browser may offer the user's nickname; no longer than the contract allows. */
@Directive({
  selector: 'input[wpNameInput]',
  host: { type: 'text', autocomplete: 'nickname', '[attr.maxlength]': 'maxLength' },
})
export class NameInputDirective {
  protected readonly maxLength = NAME_MAX_CHARS;
}
