import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { createSessionBodySchema } from '@watch-party/contracts';
import { FORM_FIELD } from '../../components/form-field/form-field.imports';
import { IdentityStoreService } from '../../services/identity-store.service';
import { PartyStarterService, startPartyErrorMessage } from '../../services/party-starter.service';
import { toFieldErrors, optionalText, type FieldErrors } from '../../util/form-errors';
import { parseInviteCode } from '../../util/invite-code';

/** Form field names -> contract body keys (the party name input is `partyName`). */
const FIELD_OF_KEY: Record<string, string> = { hostName: 'hostName', name: 'partyName', password: 'password' };

@Component({
  selector: 'wp-home-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FORM_FIELD],
  templateUrl: './home-page.component.html',
  styleUrl: './home-page.component.scss',
})
export class HomePageComponent {
  private readonly identities = inject(IdentityStoreService);
  private readonly starter = inject(PartyStarterService);
  private readonly router = inject(Router);

  protected readonly hostName = signal(this.identities.lastName());
  protected readonly partyName = signal('');
  protected readonly password = signal('');
  protected readonly createErrors = signal<FieldErrors>({});
  protected readonly createError = signal<string | null>(null);
  protected readonly creating = signal(false);

  protected readonly joinCode = signal('');
  protected readonly joinError = signal<string | null>(null);

  protected async create(event: Event, form: HTMLFormElement): Promise<void> {
    event.preventDefault();
    if (this.creating()) return;
    this.createError.set(null);
    const parsed = createSessionBodySchema.safeParse({
      hostName: this.hostName(),
      name: optionalText(this.partyName()),
      password: this.password() === '' ? undefined : this.password(),
    });
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const [key, message] of Object.entries(toFieldErrors(parsed.error))) {
        errors[FIELD_OF_KEY[key] ?? key] = message;
      }
      this.createErrors.set(errors);
      focusFirstInvalid(form);
      return;
    }
    this.createErrors.set({});
    this.creating.set(true);
    try {
      await this.starter.start(parsed.data);
    } catch (error) {
      this.createError.set(startPartyErrorMessage(error));
    } finally {
      this.creating.set(false);
    }
  }

  protected async join(event: Event): Promise<void> {
    event.preventDefault();
    const id = parseInviteCode(this.joinCode());
    if (!id) {
      this.joinError.set(
        this.joinCode().trim() === ''
          ? 'Paste an invite link or a party code'
          : "That doesn't look like an invite link or a party code",
      );
      return;
    }
    this.joinError.set(null);
    await this.router.navigate(['/watch', id]);
  }

  protected editCreate(field: 'hostName' | 'partyName' | 'password', value: string): void {
    this[field].set(value);
    if (this.createErrors()[field]) this.createErrors.update((e) => ({ ...e, [field]: undefined }));
  }

  protected editJoin(value: string): void {
    this.joinCode.set(value);
    this.joinError.set(null);
  }
}

function focusFirstInvalid(form: HTMLFormElement): void {
  // Errors render on the next change detection; wait for the aria-invalid attributes.
  setTimeout(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
