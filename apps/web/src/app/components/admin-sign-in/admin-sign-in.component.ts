import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  Injector,
  afterNextRender,
  inject,
  signal,
} from '@angular/core';
import { ApiService } from '../../services/api.service';
import { isApiRequestError } from '../../services/http';
import { ManageKeysService } from '../../services/manage-keys.service';
import { FORM_FIELD } from '../form-field/form-field.imports';

export const FORGOTTEN_TOKEN_MESSAGE =
  'This server no longer accepts the saved admin token, so this browser forgot it. Sign in again to manage every video.';

/** A 401 or 403 from `GET /api/admin/me`: the server says this is not its admin token. */
function isRejected(error: unknown): boolean {
  return isApiRequestError(error) && (error.statusCode === 401 || error.statusCode === 403);
}

/**
 * "Admin sign-in": a disclosure with a field for the admin token (checked with
 * `GET /api/admin/me` before it is kept), and "Sign out" while signed in. A stored token is
 * checked again on every visit and forgotten, with a message, once the server refuses it.
 */
@Component({
  selector: 'wp-admin-sign-in',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FORM_FIELD],
  templateUrl: './admin-sign-in.component.html',
  styleUrl: './admin-sign-in.component.scss',
})
export class AdminSignInComponent {
  private readonly api = inject(ApiService);
  protected readonly keys = inject(ManageKeysService);
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);

  protected readonly open = signal(false);
  protected readonly token = signal('');
  protected readonly checking = signal(false);
  protected readonly error = signal<string | null>(null);
  /** What happened last (signed in, signed out, token forgotten); `alert` for the bad news. */
  protected readonly notice = signal<{ text: string; alert: boolean } | null>(null);

  constructor() {
    void this.verifyStored();
  }

  /**
   * Something needs the admin token (an upload got a 401): check a stored one again (the
   * server may have a new token), else open the field; `focus` moves the keyboard there.
   */
  async needed(focus: boolean): Promise<void> {
    if (this.keys.adminToken() !== null) await this.verifyStored();
    if (this.keys.adminToken() !== null) return;
    // Keeps a notice that the stored token was just forgotten: it says why the field opened.
    this.open.set(true);
    if (focus) this.focusLater('admin-token');
  }

  protected toggle(): void {
    if (this.open()) {
      this.cancel();
      return;
    }
    this.notice.set(null);
    this.open.set(true);
    this.focusLater('admin-token');
  }

  protected cancel(): void {
    this.open.set(false);
    this.token.set('');
    this.error.set(null);
    this.focusLater('admin-toggle');
  }

  protected edit(value: string): void {
    this.token.set(value);
    this.error.set(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.checking()) return;
    const token = this.token().trim();
    if (token === '') {
      this.error.set('Paste the admin token first.');
      this.focusLater('admin-token');
      return;
    }
    this.checking.set(true);
    this.error.set(null);
    try {
      await this.api.adminMe(token);
      this.keys.setAdminToken(token);
      this.open.set(false);
      this.token.set('');
      this.notice.set({ text: 'You can now rename and delete every video in the library.', alert: false });
      this.focusLater('admin-sign-out');
    } catch (error) {
      this.error.set(
        isRejected(error)
          ? 'This is not the admin token of this server. Check that you copied all of it.'
          : isApiRequestError(error) && error.isNetworkError
            ? 'Server unreachable. Check your connection and try again.'
            : `Couldn't check the token: ${isApiRequestError(error) ? error.message : 'something went wrong'}.`,
      );
      this.focusLater('admin-token');
    } finally {
      this.checking.set(false);
    }
  }

  protected signOut(): void {
    this.keys.forgetAdminToken();
    this.notice.set({ text: 'Signed out. Only videos uploaded from this browser can be managed here.', alert: false });
    this.focusLater('admin-toggle');
  }

  /** Re-checks the stored token; only the server's own refusal forgets it (offline keeps it). */
  private async verifyStored(): Promise<void> {
    const token = this.keys.adminToken();
    if (token === null) return;
    try {
      await this.api.adminMe(token);
    } catch (error) {
      if (isRejected(error) && this.keys.adminToken() === token) {
        this.keys.forgetAdminToken();
        this.notice.set({ text: FORGOTTEN_TOKEN_MESSAGE, alert: true });
      }
    }
  }

  private focusLater(id: string): void {
    afterNextRender(() => this.document.getElementById(id)?.focus(), { injector: this.injector });
  }
}
