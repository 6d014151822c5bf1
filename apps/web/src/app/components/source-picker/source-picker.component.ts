import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  type ElementRef,
  computed,
  inject,
  input,
  signal,
  viewChild,
} from '@angular/core';
import { type AckErrorCode, type Media, type Source, urlSourceSchema } from '@watch-party/contracts';
import { MediaLibraryService, isPlayable } from '../../services/media-library.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { formatBytes, formatTime } from '../../util/format';
import { FORM_FIELD } from '../form-field/form-field.imports';
import { MediaUploadComponent } from '../media-upload/media-upload.component';

export type SourceSetResult = { ok: true } | { ok: false; error: { code: AckErrorCode; message: string } };
export type SourceSetter = (source: Source) => Promise<SourceSetResult>;

export type PickerTab = 'link' | 'library' | 'upload';
const TABS: readonly PickerTab[] = ['link', 'library', 'upload'];

function refusal(result: Extract<SourceSetResult, { ok: false }>): string {
  switch (result.error.code) {
    case 'FORBIDDEN':
      return 'Only the host and controllers can change the video';
    case 'NOT_FOUND':
      return 'That video is no longer in the library';
    default:
      return result.error.message;
  }
}

/**
 * Controllers pick what the party watches: a pasted link, a video from the media library,
 * or a new upload (set as the source as soon as it is stored; the player shows the
 * transcoding progress until the first seconds can play).
 */
@Component({
  selector: 'wp-source-picker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MediaUploadComponent, FORM_FIELD],
  providers: [MediaLibraryService],
  templateUrl: './source-picker.component.html',
  styleUrl: './source-picker.component.scss',
})
export class SourcePickerComponent {
  readonly send = input.required<SourceSetter>();
  readonly hasSource = input(false);
  /** The party's current source, to mark it in the library list. */
  readonly current = input<Source | null>(null);

  protected readonly library = inject(MediaLibraryService);
  private readonly document = inject(DOCUMENT);

  protected readonly tabs: { id: PickerTab; label: string }[] = [
    { id: 'link', label: 'Link' },
    { id: 'library', label: 'From library' },
    { id: 'upload', label: 'Upload' },
  ];
  protected readonly tab = signal<PickerTab>('link');
  protected readonly url = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  private readonly urlInput = viewChild<ElementRef<HTMLInputElement>>('urlInput');

  /** Ready items, and processing ones whose HLS stream already plays. */
  protected readonly playable = computed(() => this.library.items().filter(isPlayable));
  /** Still transcoding, not playable yet: listed as "coming". */
  protected readonly pending = computed(() => this.library.items().filter((m) => m.status === 'processing' && !isPlayable(m)));
  protected readonly currentMediaId = computed(() => {
    const current = this.current();
    return current?.kind === 'media' ? current.mediaId : null;
  });
  /** The library item being set as the source. */
  protected readonly picking = signal<string | null>(null);
  protected readonly libraryError = signal<string | null>(null);
  protected readonly uploadNote = signal<string | null>(null);
  protected readonly uploadError = signal<string | null>(null);

  protected readonly formatTime = formatTime;
  protected readonly formatBytes = formatBytes;

  private libraryLoaded = false;

  constructor() {
    const socket = inject(SessionSocketService, { optional: true });
    if (socket) {
      const off = socket.onMediaProgress((progress) => this.library.applyProgress(progress));
      inject(DestroyRef).onDestroy(off);
    }
  }

  protected select(tab: PickerTab): void {
    this.tab.set(tab);
    if (tab === 'library' && !this.libraryLoaded) {
      this.libraryLoaded = true;
      void this.library.load();
    }
  }

  /** Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern). */
  protected onTabKey(event: KeyboardEvent): void {
    const index = TABS.indexOf(this.tab());
    let next: number;
    switch (event.key) {
      case 'ArrowLeft':
        next = (index + TABS.length - 1) % TABS.length;
        break;
      case 'ArrowRight':
        next = (index + 1) % TABS.length;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = TABS.length - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    this.select(TABS[next]);
    this.document.getElementById(`source-tab-${TABS[next]}`)?.focus();
  }

  protected refresh(): void {
    void this.library.load();
  }

  // ---- link ----

  protected edit(value: string): void {
    this.url.set(value);
    if (this.error()) this.error.set(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy()) return;
    const url = this.url().trim();
    if (url === '') {
      this.error.set('Paste a link to a video first');
      return;
    }
    const parsed = urlSourceSchema.safeParse({ kind: 'url', url });
    if (!parsed.success) {
      this.error.set('That link must be a web address starting with http:// or https://');
      return;
    }
    this.busy.set(true);
    try {
      const result = await this.send()(parsed.data);
      if (result.ok) {
        this.url.set('');
        const input = this.urlInput()?.nativeElement;
        if (input) input.value = ''; // the binding may not have seen the typed text yet
        this.error.set(null);
      } else {
        this.error.set(refusal(result));
      }
    } finally {
      this.busy.set(false);
    }
  }

  // ---- library ----

  protected async pick(media: Media): Promise<void> {
    if (this.picking()) return;
    this.picking.set(media.id);
    this.libraryError.set(null);
    try {
      const result = await this.send()({ kind: 'media', mediaId: media.id });
      if (!result.ok) {
        this.libraryError.set(refusal(result));
        if (result.error.code === 'NOT_FOUND') void this.library.load();
      }
    } finally {
      this.picking.set(null);
    }
  }

  // ---- upload ----

  protected async onUploaded(media: Media): Promise<void> {
    this.library.upsert(media);
    this.uploadError.set(null);
    this.uploadNote.set(null);
    const result = await this.send()({ kind: 'media', mediaId: media.id });
    if (result.ok) {
      this.uploadNote.set(
        isPlayable(media)
          ? `“${media.title}” is now playing for the party.`
          : `“${media.title}” is now the party's video. It can start as soon as the first seconds are ready.`,
      );
    } else {
      this.uploadError.set(`Uploaded, but couldn't switch the party to it: ${refusal(result)}`);
    }
  }
}
