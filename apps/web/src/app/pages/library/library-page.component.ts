import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  afterNextRender,
  computed,
  inject,
  Injector,
  signal,
} from '@angular/core';
import { Router } from '@angular/router';
import { displayName, type Media } from '@watch-party/contracts';
import { MediaUploadComponent } from '../../components/media-upload/media-upload.component';
import { ApiService, isApiRequestError } from '../../services/api.service';
import { IdentityStoreService } from '../../services/identity-store.service';
import { MediaLibraryService } from '../../services/media-library.service';
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

function startErrorMessage(error: unknown): string {
  if (!isApiRequestError(error)) return 'Something went wrong, try again.';
  if (error.isNetworkError) return 'Server unreachable. Check your connection and try again.';
  if (error.statusCode === 429) return 'Too many parties created from here, wait a minute.';
  if (error.statusCode === 400 && /media/i.test(error.message)) return 'This video is no longer in the library.';
  return error.message;
}

/** The media library: upload, watch transcoding progress, start a party with a video, delete. */
@Component({
  selector: 'wp-library-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MediaUploadComponent],
  providers: [MediaLibraryService],
  templateUrl: './library-page.component.html',
  styleUrl: './library-page.component.scss',
})
export class LibraryPageComponent {
  protected readonly library = inject(MediaLibraryService);
  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly router = inject(Router);
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
  /** Said to screen readers after a deletion (the item itself is gone). */
  protected readonly announcement = signal('');

  protected readonly count = computed(() => this.library.items().length);
  protected readonly skeletons = [0, 1, 2];

  protected readonly meta = mediaMeta;
  protected readonly statusLabel = statusLabel;
  protected readonly formatTime = formatTime;

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
      const joined = await this.api.createSession({
        hostName,
        name: media.title.slice(0, 80),
        source: { kind: 'media', mediaId: media.id },
      });
      this.identities.set(joined.session.id, { token: joined.token, participantId: joined.participantId, name: hostName });
      await this.router.navigate(['/watch', joined.session.id]);
    } catch (error) {
      this.startError.set({ id: media.id, message: startErrorMessage(error) });
    } finally {
      this.starting.set(null);
    }
  }

  // ---- delete ----

  protected askDelete(media: Media): void {
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
    try {
      await this.library.remove(media.id);
      this.confirmDelete.set(null);
      this.announcement.set(`Deleted “${media.title}”.`);
      this.document.getElementById('library-heading')?.focus();
    } catch (error) {
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

  private focusLater(id: string): void {
    afterNextRender(() => this.document.getElementById(id)?.focus(), { injector: this.injector });
  }
}
