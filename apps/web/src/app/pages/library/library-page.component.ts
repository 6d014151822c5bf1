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
import {
  SUBTITLE_LABEL_MAX,
  displayName,
  renameMediaBodySchema,
  subtitleFieldsSchema,
  type Media,
  type SubtitleTrack,
} from '@watch-party/contracts';
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
import {
  SUBTITLE_FILE_ACCEPT,
  looksLikeSubtitleFile,
  subtitleDeleteErrorMessage,
  subtitleUploadErrorMessage,
} from '../../services/subtitles-api.service';
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

/** "English (en), Commentary": the tracks of an item, for everyone to see. */
export function subtitleSummary(tracks: SubtitleTrack[]): string {
  return tracks.map((t) => (t.lang ? `${t.label} (${t.lang})` : t.label)).join(', ');
}

/** A label from a file name: "film.en.srt" -> "film.en", at most SUBTITLE_LABEL_MAX characters. */
export function labelFromFileName(name: string): string {
  return name.replace(/\.(srt|vtt)$/i, '').trim().slice(0, SUBTITLE_LABEL_MAX);
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
  /** The item whose subtitles panel is open, and that panel's form. */
  protected readonly subtitlesFor = signal<string | null>(null);
  protected readonly subtitleFile = signal<File | null>(null);
  protected readonly subtitleLabel = signal('');
  protected readonly subtitleLang = signal('');
  protected readonly subtitleFieldErrors = signal<{ file?: string; label?: string; lang?: string }>({});
  /** The item a subtitle file is being uploaded to, and the track being deleted. */
  protected readonly uploadingSubtitle = signal<string | null>(null);
  protected readonly removingSubtitle = signal<string | null>(null);
  protected readonly subtitleError = signal<{ id: string; message: string } | null>(null);
  /** Said to screen readers after a deletion (the item itself is gone). */
  protected readonly announcement = signal('');

  protected readonly count = computed(() => this.library.items().length);
  protected readonly skeletons = [0, 1, 2];

  protected readonly meta = mediaMeta;
  protected readonly statusLabel = statusLabel;
  protected readonly formatTime = formatTime;
  protected readonly titleMax = TITLE_MAX_CHARS;
  protected readonly subtitleAccept = SUBTITLE_FILE_ACCEPT;
  protected readonly subtitleLabelMax = SUBTITLE_LABEL_MAX;
  protected readonly subtitleSummary = subtitleSummary;

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

  // ---- subtitles ----

  protected toggleSubtitles(media: Media): void {
    if (this.subtitlesFor() === media.id) {
      this.closeSubtitles(media);
      return;
    }
    this.goneNotice.set(null);
    this.manageError.set(null);
    this.confirmDelete.set(null);
    this.renaming.set(null);
    this.resetSubtitleForm();
    this.subtitlesFor.set(media.id);
    this.focusLater(`subtitle-file-${media.id}`);
  }

  protected closeSubtitles(media: Media): void {
    if (this.subtitlesFor() !== media.id) return;
    this.subtitlesFor.set(null);
    this.resetSubtitleForm();
    this.focusLater(`subtitles-${media.id}`);
  }

  protected pickSubtitleFile(files: FileList | null): void {
    const file = files?.[0] ?? null;
    this.subtitleFile.set(file);
    this.subtitleError.set(null);
    this.subtitleFieldErrors.update((errors) => ({ ...errors, file: undefined }));
    // A label to start from: the file's name, unless one was typed.
    if (file && this.subtitleLabel().trim() === '') {
      this.subtitleLabel.set(labelFromFileName(file.name));
      this.subtitleFieldErrors.update((errors) => ({ ...errors, label: undefined }));
    }
  }

  protected editSubtitleLabel(value: string): void {
    this.subtitleLabel.set(value);
    this.subtitleFieldErrors.update((errors) => ({ ...errors, label: undefined }));
  }

  protected editSubtitleLang(value: string): void {
    this.subtitleLang.set(value);
    this.subtitleFieldErrors.update((errors) => ({ ...errors, lang: undefined }));
  }

  protected async uploadSubtitle(event: Event, media: Media): Promise<void> {
    event.preventDefault();
    if (this.uploadingSubtitle() !== null) return;
    this.subtitleError.set(null);
    const file = this.subtitleFile();
    const lang = this.subtitleLang().trim();
    const parsed = subtitleFieldsSchema.safeParse({ label: this.subtitleLabel(), lang: lang || undefined });
    const errors: { file?: string; label?: string; lang?: string } = {};
    if (!file) errors.file = 'Choose an .srt or .vtt file.';
    else if (!looksLikeSubtitleFile(file)) errors.file = 'Subtitles must be an .srt or .vtt file.';
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] === 'lang' ? 'lang' : 'label';
        errors[field] ??=
          field === 'lang'
            ? 'Use a language tag such as en or pt-BR, or leave it empty.'
            : this.subtitleLabel().trim() === ''
              ? 'Enter a label, e.g. English.'
              : `Use at most ${SUBTITLE_LABEL_MAX} characters.`;
      }
    }
    this.subtitleFieldErrors.set(errors);
    if (!file || !parsed.success || errors.file) {
      const first = errors.file ? 'subtitle-file' : errors.label ? 'subtitle-label' : 'subtitle-lang';
      this.focusLater(`${first}-${media.id}`);
      return;
    }
    const credential = this.credentialKind(media);
    this.uploadingSubtitle.set(media.id);
    try {
      const track = await this.library.addSubtitle(media.id, file, parsed.data);
      this.resetSubtitleForm();
      this.announcement.set(`Added the subtitles “${track.label}” to “${media.title}”.`);
      this.focusLater(`subtitle-file-${media.id}`);
    } catch (error) {
      if (isApiRequestError(error) && error.statusCode === 404) {
        this.subtitlesFor.set(null);
        this.goneNotice.set(`“${media.title}” is no longer in the library.`);
        this.document.getElementById('library-heading')?.focus();
      } else if (isNotAllowed(error) && credential !== 'none') {
        this.subtitlesFor.set(null);
        this.refused(media, credential);
      } else {
        this.subtitleError.set({ id: media.id, message: subtitleUploadErrorMessage(error) });
      }
    } finally {
      this.uploadingSubtitle.set(null);
    }
  }

  protected async removeSubtitle(media: Media, track: SubtitleTrack): Promise<void> {
    if (this.removingSubtitle() !== null) return;
    this.subtitleError.set(null);
    const credential = this.credentialKind(media);
    this.removingSubtitle.set(track.id);
    try {
      await this.library.removeSubtitle(media.id, track.id);
      this.announcement.set(`Deleted the subtitles “${track.label}”.`);
      this.focusLater(`subtitle-file-${media.id}`);
    } catch (error) {
      if (isNotAllowed(error)) {
        this.subtitlesFor.set(null);
        this.refused(media, credential);
      } else {
        this.subtitleError.set({ id: media.id, message: subtitleDeleteErrorMessage(error) });
      }
    } finally {
      this.removingSubtitle.set(null);
    }
  }

  private resetSubtitleForm(): void {
    const id = this.subtitlesFor();
    const input = id ? this.document.getElementById(`subtitle-file-${id}`) : null;
    if (input instanceof HTMLInputElement) input.value = '';
    this.subtitleFile.set(null);
    this.subtitleLabel.set('');
    this.subtitleLang.set('');
    this.subtitleFieldErrors.set({});
    this.subtitleError.set(null);
  }

  /** Escape leaves an open rename, delete confirmation or subtitles panel of that item. */
  protected onItemEscape(media: Media): void {
    if (this.renaming() === media.id) this.cancelRename(media);
    else if (this.confirmDelete() === media.id) this.keep(media);
    else if (this.subtitlesFor() === media.id && this.uploadingSubtitle() === null) this.closeSubtitles(media);
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
