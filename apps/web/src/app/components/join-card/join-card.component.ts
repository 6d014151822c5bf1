import {
  ChangeDetectionStrategy,
  Component,
  type ElementRef,
  afterNextRender,
  computed,
  input,
  linkedSignal,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { joinSessionBodySchema, type JoinSessionBody, type SessionInfo } from '@watch-party/contracts';
import { toFieldErrors, type FieldErrors } from '../../util/form-errors';
import { FORM_FIELD } from '../form-field/form-field.imports';
import { NameFieldComponent } from '../form-field/name-field.component';

/** An error from the server, optionally tied to one field of the form. */
export interface JoinError {
  message: string;
  field?: 'name' | 'password';
}

/** "Join this party" form; validates with the contract schema and emits a ready body. */
@Component({
  selector: 'wp-join-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FORM_FIELD],
  templateUrl: './join-card.component.html',
})
export class JoinCardComponent {
  readonly session = input.required<SessionInfo>();
  readonly initialName = input('');
  /** Why the user is seeing this card again (e.g. an expired pass). */
  readonly notice = input<string | null>(null);
  readonly busy = input(false);
  readonly serverError = input<JoinError | null>(null);
  readonly join = output<JoinSessionBody>();

  protected readonly name = linkedSignal(() => this.initialName());
  protected readonly password = signal('');
  protected readonly fieldErrors = signal<FieldErrors>({});
  protected readonly errors = linkedSignal<FieldErrors>(() => {
    const server = this.serverError();
    const local = this.fieldErrors();
    return server?.field ? { ...local, [server.field]: server.message } : local;
  });

  /** A server error that is not about one field. */
  protected readonly formError = computed(() => {
    const error = this.serverError();
    return error && !error.field ? error.message : null;
  });

  private readonly nameField = viewChild.required(NameFieldComponent);
  private readonly passwordInput = viewChild<ElementRef<HTMLInputElement>>('passwordInput');

  constructor() {
    afterNextRender(() => {
      const password = this.name() ? this.passwordInput() : undefined;
      if (password) password.nativeElement.focus();
      else this.nameField().focus();
    });
  }

  protected submit(event: Event): void {
    event.preventDefault();
    if (this.busy()) return;
    const body = {
      name: this.name(),
      ...(this.session().hasPassword ? { password: this.password() } : {}),
    };
    const parsed = joinSessionBodySchema.safeParse(body);
    if (!parsed.success) {
      const errors = toFieldErrors(parsed.error);
      this.fieldErrors.set(errors);
      if (errors['name']) this.nameField().focus();
      else this.passwordInput()?.nativeElement.focus();
      return;
    }
    if (this.session().hasPassword && !parsed.data.password) {
      this.fieldErrors.set({ password: 'This party needs a password' });
      this.passwordInput()?.nativeElement.focus();
      return;
    }
    this.fieldErrors.set({});
    this.join.emit(parsed.data);
  }

  protected edited(field: 'name' | 'password', value: string): void {
    (field === 'name' ? this.name : this.password).set(value);
    if (this.errors()[field]) this.errors.update((e) => ({ ...e, [field]: undefined }));
  }
}
