import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  afterNextRender,
  computed,
  inject,
  Injector,
  signal,
  viewChild,
} from '@angular/core';
import { displayName, renameMediaBodySchema, type Media } from '@watch-party/contracts';
import { AdminSignInComponent } from '../../components/admin-sign-in/admin-sign-in.component';
import { FORM_FIELD } from '../../components/form-field/form-field.imports';
import { MediaUploadComponent } from '../../components/media-upload/media-upload.component';
import { ProgressBarComponent } from '../../components/progress-bar/progress-bar.component';
import { ApiService } from '../../services/api.service';
import { isApiRequestError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { ManageKeysService } from '../../services/manage-keys.service';
import { MediaLibraryService } from '../../services/media-library.service';
import { PartyStarterService, startPartyErrorMessage } from '../../services/party-starter.service';
import { formatBytes, formatTime } from '../../util/format';

/** "3:12 · 24.5 MB · 21 Nov" */
export function mediaMeta(media: Media): string {
  const parts = [media.durationSec === null ? null : formatTime(media.durationSec), formatBytes(media.sizeBytes)];
  const date = new Date(media.createdAt);
  if (!Number.isNaN(date.getTime())) parts.push(date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }));
  return parts.filter((p) => !!p).join(' · ');
}

/** Status chip text: "Processing 42%", "Ready", "Failed". */
export function statusLabel(media: Media): string {
  switch (media.status) {
    case 'processing':
      return `Processing ${Math.floor(media.progress * 100)}%`;
    case 'ready':
      return 'Ready';
    default:
      return 'Failed';
  }
}

/** The longest title the server accepts for a rename (null: no limit stated). */
export const TITLE_MAX_CHARS = renameMediaBodySchema.shape.title.maxLength;

/** Which credential a rename or delete was sent with. */
export type Credential = 'owner' | 'admin' | 'none';

/** A 401/403 on rename or delete: the server says this browser may not manage the item. */
function isNotAllowed(error: unknown): boolean {
  return isApiRequestError(error) && (error.statusCode === 401 || error.statusCode === 403);
}

export function notAllowedMessage(credential: Credential): string {
  const base = 'This browser may not manage this video';
  switch (credential) {
    case 'owner':
      return `${base}: the server did not accept the key saved for it.`;
    case 'admin':
      return `${base}: the server no longer accepts the admin token, so this browser forgot it. Sign in again to manage every video.`;
    default:
      return `${base}: only the browser that uploaded it, or the admin, can rename or delete it.`;
  }
}

function renameErrorMessage(error: unknown): string {
  if (!isApiRequestError(error)) return "Couldn't rename: something went wrong.";
  if (error.isNetworkError) return "Couldn't rename: server unreachable. Try again.";
  return `Couldn't rename: ${error.message}.`;
}

/**
 * The media library: upload, watch transcoding progress, start a party with a video; rename
 * and delete the items this browser may manage (uploaded from here, or every item for the
 * signed-in admin).
 */
@Component({
  selector: 'wp-library-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [AdminSignInComponent, MediaUploadComponent, FORM_FIELD, ProgressBarComponent],
  providers: [MediaLibraryService],
  templateUrl: './library-page.component.html',
  styleUrl: './library-page.component.scss',
})
export class LibraryPageComponent {
  protected readonly library = inject(MediaLibraryService);
  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly keys = inject(ManageKeysService);
  private readonly starter = inject(PartyStarterService);
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);

  protected readonly transcodingUnavailable = signal(false);
  /** The item whose inline "your name" form is open. */
  protected readonly askNameFor = signal<string | null>(null);
  protected readonly hostName = signal(this.identities.lastName());
  protected readonly nameError = signal<string | null>(null);
  /** The item a party is being created for. */
  protected readonly starting = signal<string | null>(null);
  protected readonly startError = signal<{ id: string; message: string } | null>(null);
  protected readonly confirmDelete = signal<string | null>(null);
  protected readonly deleting = signal<string | null>(null);
  protected readonly deleteError = signal<{ id: string; message: string } | null>(null);
  /** The item whose title is being edited, and the text typed so far. */
  protected readonly renaming = signal<string | null>(null);
  protected readonly renameValue = signal('');
  protected readonly renameError = signal<{ id: string; message: string } | null>(null);
  protected readonly savingRename = signal<string | null>(null);
  /** The server refused this browser's credential for an item (401/403). */
  protected readonly manageError = signal<{ id: string; message: string } | null>(null);
  /** Shown above the list when an item turned out to be gone. */
  protected readonly goneNotice = signal<string | null>(null);
  /** Said to screen readers after a deletion (the item itself is gone). */
  protected readonly announcement = signal('');

  protected readonly count = computed(() => this.library.items().length);
  protected readonly skeletons = [0, 1, 2];

  protected readonly meta = mediaMeta;
  protected readonly statusLabel = statusLabel;
  protected readonly formatTime = formatTime;
  protected readonly titleMax = TITLE_MAX_CHARS;

  private readonly adminSignIn = viewChild(AdminSignInComponent);

  constructor() {
    void this.library.load();
    void this.api.health().then(
      (health) => this.transcodingUnavailable.set(health.transcoding === 'unavailable'),
      () => undefined, // the list shows connection problems already
    );
  }

  protected pct(media: Media): number {
    return Math.floor(media.progress * 100);
  }

  protected onUploaded(media: Media): void {
    this.library.upsert(media);
  }

  protected retry(): void {
    void this.library.load();
  }

  /** An upload was refused for want of the admin token: point to "Admin sign-in". */
  protected onAdminNeeded(focus: boolean): void {
    void this.adminSignIn()?.needed(focus);
  }

  protected canManage(media: Media): boolean {
    return this.keys.canManage(media.id);
  }

  // ---- watch together ----

  protected async watchTogether(media: Media): Promise<void> {
    this.startError.set(null);
    const remembered = this.identities.lastName().trim();
    if (!remembered || !displayName.safeParse(remembered).success) {
      this.askNameFor.set(media.id);
      this.nameError.set(null);
      this.focusLater(`name-${media.id}`);
      return;
    }
    await this.startParty(media, remembered);
  }

  protected editName(value: string): void {
    this.hostName.set(value);
    this.nameError.set(null);
  }

  protected async submitName(event: Event, media: Media): Promise<void> {
    event.preventDefault();
    const parsed = displayName.safeParse(this.hostName());
    if (!parsed.success) {
      this.nameError.set(this.hostName().trim() === '' ? 'Please enter your name' : 'Use at most 32 characters');
      this.focusLater(`name-${media.id}`);
      return;
    }
    await this.startParty(media, parsed.data);
  }

  protected cancelName(media: Media): void {
    this.askNameFor.set(null);
    this.nameError.set(null);
    this.focusLater(`watch-${media.id}`);
  }

  private async startParty(media: Media, hostName: string): Promise<void> {
    if (this.starting()) return;
    this.starting.set(media.id);
    this.startError.set(null);
    try {
      await this.starter.start({ hostName, name: media.title.slice(0, 80), source: { kind: 'media', mediaId: media.id } });
    } catch (error) {
      if (isApiRequestError(error) && error.statusCode === 400 && (await this.isGone(media.id))) {
        this.goneNotice.set(`“${media.title}” is no longer in the library.`);
        this.document.getElementById('library-heading')?.focus();
      } else {
        this.startError.set({ id: media.id, message: startPartyErrorMessage(error) });
      }
    } finally {
      this.starting.set(null);
    }
  }

  /**
   * The server refuses a party whose source names no media item with a plain 400: ask for the
   * item itself (a 404 drops it from the list) rather than reading the message.
   */
  private async isGone(id: string): Promise<boolean> {
    await this.library.refresh(id);
    return !this.library.items().some((m) => m.id === id);
  }

  // ---- delete ----

  protected askDelete(media: Media): void {
    this.goneNotice.set(null);
    this.manageError.set(null);
    this.deleteError.set(null);
    this.confirmDelete.set(media.id);
    this.focusLater(`keep-${media.id}`);
  }

  protected keep(media: Media): void {
    this.confirmDelete.set(null);
    this.focusLater(`delete-${media.id}`);
  }

  protected async remove(media: Media): Promise<void> {
    this.deleting.set(media.id);
    this.deleteError.set(null);
    this.manageError.set(null);
    const credential = this.credentialKind(media);
    try {
      await this.library.remove(media.id);
      this.confirmDelete.set(null);
      this.announcement.set(`Deleted “${media.title}”.`);
      this.document.getElementById('library-heading')?.focus();
    } catch (error) {
      if (isNotAllowed(error)) {
        this.confirmDelete.set(null);
        this.refused(media, credential);
        return;
      }
      this.deleteError.set({
        id: media.id,
        message:
          isApiRequestError(error) && error.isNetworkError
            ? "Couldn't delete: server unreachable. Try again."
            : `Couldn't delete: ${isApiRequestError(error) ? error.message : 'something went wrong'}.`,
      });
    } finally {
      this.deleting.set(null);
    }
  }

  // ---- rename ----

  protected startRename(media: Media): void {
    this.goneNotice.set(null);
    this.confirmDelete.set(null);
    this.askNameFor.set(null);
    this.manageError.set(null);
    this.renameError.set(null);
    this.renameValue.set(media.title);
    this.renaming.set(media.id);
    afterNextRender(
      () => {
        const input = this.document.getElementById(`rename-input-${media.id}`);
        if (input instanceof HTMLInputElement) {
          input.focus();
          input.select();
        }
      },
      { injector: this.injector },
    );
  }

  protected editRename(value: string): void {
    this.renameValue.set(value);
    this.renameError.set(null);
  }

  protected cancelRename(media: Media): void {
    if (this.renaming() !== media.id) return;
    this.renaming.set(null);
    this.renameError.set(null);
    this.focusLater(`rename-${media.id}`);
  }

  protected async saveRename(media: Media): Promise<void> {
    if (this.renaming() !== media.id || this.savingRename() !== null) return;
    const parsed = renameMediaBodySchema.safeParse({ title: this.renameValue() });
    if (!parsed.success) {
      this.renameError.set({
        id: media.id,
        message: this.renameValue().trim() === '' ? 'Enter a title.' : `Use at most ${TITLE_MAX_CHARS} characters.`,
      });
      this.focusLater(`rename-input-${media.id}`);
      return;
    }
    const title = parsed.data.title;
    if (title === media.title) {
      this.cancelRename(media);
      return;
    }
    const credential = this.credentialKind(media);
    this.savingRename.set(media.id);
    this.renameError.set(null);
    try {
      await this.library.rename(media.id, title);
      this.renaming.set(null);
      this.announcement.set(`Renamed to “${title}”.`);
      this.focusLater(`rename-${media.id}`);
    } catch (error) {
      if (isNotAllowed(error)) {
        this.renaming.set(null);
        this.refused(media, credential);
      } else if (isApiRequestError(error) && error.statusCode === 404) {
        this.renaming.set(null);
        this.goneNotice.set(`“${media.title}” is no longer in the library.`);
        this.document.getElementById('library-heading')?.focus();
      } else {
        this.renameError.set({ id: media.id, message: renameErrorMessage(error) });
        this.focusLater(`rename-input-${media.id}`);
      }
    } finally {
      this.savingRename.set(null);
    }
  }

  /** Escape leaves an open rename or delete confirmation of that item. */
  protected onItemEscape(media: Media): void {
    if (this.renaming() === media.id) this.cancelRename(media);
    else if (this.confirmDelete() === media.id) this.keep(media);
  }

  // ---- credentials ----

  private credentialKind(media: Media): Credential {
    if (this.keys.ownerKey(media.id) !== null) return 'owner';
    return this.keys.isAdmin() ? 'admin' : 'none';
  }

  /** The server refused the credential we sent: forget it (it is of no use) and say so. */
  private refused(media: Media, credential: Credential): void {
    if (credential === 'owner') this.keys.forgetOwnerKey(media.id);
    if (credential === 'admin') this.keys.forgetAdminToken();
    this.manageError.set({ id: media.id, message: notAllowedMessage(credential) });
    this.focusLater(`watch-${media.id}`);
  }

  private focusLater(id: string): void {
    afterNextRender(() => this.document.getElementById(id)?.focus(), { injector: this.injector });
  }
}
