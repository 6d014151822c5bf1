import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, output, signal } from '@angular/core';
import type { Media } from '@watch-party/contracts';
import { isApiRequestError } from '../../services/http';
import { ManageKeysService } from '../../services/manage-keys.service';
import {
  type UploadProgress,
  type UploadTask,
  UploadService,
  isUploadCancelled,
  looksLikeVideo,
  uploadErrorMessage,
} from '../../services/upload.service';
import { formatBytes } from '../../util/format';
import { ProgressBarComponent } from '../progress-bar/progress-bar.component';

let nextId = 0;

/** What the uploader is told once the video is stored and this browser holds its owner key. */
export const OWNER_NOTE = 'This browser can rename or delete it; other browsers can’t.';

/**
 * Upload a video to the library: file input (keyboard) or drag and drop, a progress bar
 * with cancel, readable errors. Emits the new media item (still processing, usually).
 */
@Component({
  selector: 'wp-media-upload',
  imports: [ProgressBarComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './media-upload.component.html',
  styleUrl: './media-upload.component.scss',
  host: {
    // A file dropped next to the zone must not make the browser navigate away to it.
    '(window:dragover)': 'guardWindow($event)',
    '(window:drop)': 'guardWindow($event)',
  },
})
export class MediaUploadComponent {
  /** Tighter layout for side panels. */
  readonly compact = input(false);
  /** The host page offers "Admin sign-in": an upload refused for want of the admin token points to it. */
  readonly offersAdminSignIn = input(false);
  readonly uploaded = output<Media>();
  /**
   * The server wants the admin token for uploads (PUBLISH_POLICY=admin): emitted on that 401
   * (`focus: false`) and when the user then asks to sign in (`focus: true`).
   */
  readonly adminNeeded = output<{ focus: boolean }>();

  private readonly uploads = inject(UploadService);
  private readonly keys = inject(ManageKeysService);
  private task: UploadTask | null = null;
  private dragDepth = 0;

  protected readonly inputId = `media-file-${nextId++}`;
  protected readonly file = signal<File | null>(null);
  protected readonly progress = signal<UploadProgress | null>(null);
  protected readonly error = signal<string | null>(null);
  /** The last upload was refused with a 401: the admin token is needed. */
  protected readonly needsAdmin = signal(false);
  /** After an upload: what happened (success, or the user's own cancel). */
  protected readonly outcome = signal<{ kind: 'done' | 'cancelled'; text: string } | null>(null);
  protected readonly dragging = signal(false);
  protected readonly uploading = computed(() => this.file() !== null);
  protected readonly pct = computed(() => Math.floor((this.progress()?.fraction ?? 0) * 100));
  protected readonly sentText = computed(() => {
    const p = this.progress();
    const file = this.file();
    if (!file) return '';
    const total = formatBytes(file.size);
    if (!p || p.fraction >= 1) return total;
    return `${formatBytes(Math.min(file.size, p.loaded))} of ${total}`;
  });
  /** Everything sent; the server is still storing and checking the file. */
  protected readonly finishing = computed(() => (this.progress()?.fraction ?? 0) >= 1);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.task?.abort());
  }

  protected onPick(input: HTMLInputElement): void {
    const file = input.files?.[0];
    input.value = ''; // picking the same file again still fires change
    if (file) void this.start(file);
  }

  protected onDragEnter(event: DragEvent): void {
    if (!hasFiles(event) || this.uploading()) return;
    event.preventDefault();
    this.dragDepth++;
    this.dragging.set(true);
  }

  protected onDragOver(event: DragEvent): void {
    if (!hasFiles(event) || this.uploading()) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  }

  protected onDragLeave(): void {
    this.dragDepth = Math.max(0, this.dragDepth - 1);
    if (this.dragDepth === 0) this.dragging.set(false);
  }

  protected onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragDepth = 0;
    this.dragging.set(false);
    if (this.uploading()) return;
    const files = event.dataTransfer?.files;
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      this.error.set('Drop one video at a time.');
      return;
    }
    void this.start(files[0]);
  }

  protected guardWindow(event: DragEvent): void {
    if (hasFiles(event)) event.preventDefault();
  }

  protected cancel(): void {
    this.task?.abort();
  }

  protected askAdminSignIn(): void {
    this.adminNeeded.emit({ focus: true });
  }

  private async start(file: File): Promise<void> {
    if (this.task) return;
    this.outcome.set(null);
    this.needsAdmin.set(false);
    if (!looksLikeVideo(file)) {
      this.error.set(`“${file.name}” is not a video we can play. Pick a video file (MP4, WebM, MOV, MKV…).`);
      return;
    }
    this.error.set(null);
    this.file.set(file);
    this.progress.set(null);
    const task = this.uploads.upload(file, (p) => this.progress.set(p));
    this.task = task;
    try {
      const media = await task.done;
      const owned = this.keys.ownerKey(media.id) !== null;
      this.outcome.set({ kind: 'done', text: `“${media.title}” uploaded.${owned ? ` ${OWNER_NOTE}` : ''}` });
      this.uploaded.emit(media);
    } catch (error) {
      this.error.set(uploadErrorMessage(error));
      if (isUploadCancelled(error)) this.outcome.set({ kind: 'cancelled', text: 'Upload cancelled.' });
      if (isApiRequestError(error) && error.statusCode === 401) {
        this.needsAdmin.set(true);
        this.adminNeeded.emit({ focus: false });
      }
    } finally {
      this.task = null;
      this.file.set(null);
      this.progress.set(null);
    }
  }
}

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types?.includes('Files') ?? false;
}
