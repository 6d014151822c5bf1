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
import {
  type AckErrorCode,
  type Media,
  type Source,
  type SubtitleRef,
  MAX_QUEUE_TITLE,
  subtitleRefSchema,
  urlSourceSchema,
} from '@watch-party/contracts';
import { LINK_PROBE } from '../../services/link-probe';
import { MediaLibraryService, isPlayable } from '../../services/media-library.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { formatBytes, formatTime } from '../../util/format';
import { FORM_FIELD } from '../form-field/form-field.imports';
import { MediaUploadComponent } from '../media-upload/media-upload.component';

export type SourceSetResult = { ok: true } | { ok: false; error: { code: AckErrorCode; message: string } };
export type SourceSetter = (source: Source) => Promise<SourceSetResult>;

export type PickerTab = 'link' | 'library' | 'upload';
const TABS: readonly PickerTab[] = ['link', 'library', 'upload'];

/**
 * - `source`: a controller's picker: plays what is picked when nothing plays, else offers
 *   "Add to queue" (the default) or "Play now"
 * - `queue`: only adds to the shared queue (participants who may queue but not control)
 */
export type PickerMode = 'source' | 'queue';
/** What picking does now. */
export type PickAction = 'play' | 'queue';

function refusal(result: Extract<SourceSetResult, { ok: false }>, action: PickAction): string {
  switch (result.error.code) {
    case 'FORBIDDEN':
      return action === 'queue'
        ? 'Only the host and controllers can add to the queue in this party'
        : 'Only the host and controllers can change the video';
    case 'NOT_FOUND':
      return 'That video is no longer in the library';
    case 'RATE_LIMITED':
      return 'Too many requests at once. Wait a moment and try again.';
    default:
      return result.error.message.charAt(0).toUpperCase() + result.error.message.slice(1);
  }
}

/** "27 Nov 2026, 14:05": when an item was uploaded, to tell two "clip"s apart. */
export function formatUploaded(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const day = date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  return `${day}, ${time}`;
}

/** Duration (when known), size and upload time of a library item, one line. */
export function mediaMeta(media: Media): string {
  return [
    media.durationSec === null ? null : formatTime(media.durationSec),
    formatBytes(media.sizeBytes),
    formatUploaded(media.createdAt),
  ]
    .filter((part) => !!part)
    .join(' · ');
}

/**
 * Picks what the party watches or queues: a pasted link (probed in this browser first: it
 * must load as a video within 5 s), a video from the media library, or a new upload (set or
 * queued as soon as it is stored; the player shows the transcoding progress until the first
 * seconds can play). Controllers choose "Play now" or "Add to queue" while something plays;
 * in `queue` mode it only queues.
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
  /** Sets the party's source (`source:set`); without it the page's socket is used. */
  readonly send = input<SourceSetter | null>(null);
  readonly hasSource = input(false);
  /** The party's current source, to mark it in the library list. */
  readonly current = input<Source | null>(null);
  readonly mode = input<PickerMode>('source');

  protected readonly library = inject(MediaLibraryService);
  private readonly document = inject(DOCUMENT);
  private readonly socket = inject(SessionSocketService, { optional: true });
  private readonly probe = inject(LINK_PROBE);

  /** The controller's choice while something plays. */
  protected readonly choice = signal<PickAction>('queue');
  protected readonly action = computed<PickAction>(() => {
    if (this.mode() === 'queue') return 'queue';
    return this.hasSource() ? this.choice() : 'play';
  });
  /** Only a controller with something playing has the choice. */
  protected readonly offersChoice = computed(() => this.mode() === 'source' && this.hasSource());
  protected readonly heading = computed(() => {
    if (this.mode() === 'queue') return 'Add to the queue';
    return this.hasSource() ? 'Play or queue a video' : 'Pick a video';
  });
  protected readonly checking = signal(false);
  protected readonly subtitleUrl = signal('');
  protected readonly subtitleLabel = signal('');
  protected readonly subtitleError = signal<string | null>(null);
  protected readonly linkNote = signal<string | null>(null);
  protected readonly libraryNote = signal<string | null>(null);

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

  protected readonly mediaMeta = mediaMeta;

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
    this.linkNote.set(null);
  }

  protected editSubtitle(field: 'url' | 'label', value: string): void {
    (field === 'url' ? this.subtitleUrl : this.subtitleLabel).set(value);
    if (this.subtitleError()) this.subtitleError.set(null);
  }

  /** The optional subtitle pair: nothing, one valid track, or a message. */
  private subtitles(): { ok: true; tracks: SubtitleRef[] } | { ok: false; message: string } {
    const url = this.subtitleUrl().trim();
    const label = this.subtitleLabel().trim();
    if (url === '' && label === '') return { ok: true, tracks: [] };
    if (url === '') return { ok: false, message: 'Add the subtitle link, or clear its label' };
    const parsed = subtitleRefSchema.safeParse({ url, label: label || 'Subtitles' });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        message: issue?.path[0] === 'label' ? `The subtitle label ${issue.message}` : 'The subtitle link must start with http:// or https://',
      };
    }
    return { ok: true, tracks: [parsed.data] };
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
    const subtitles = this.subtitles();
    if (!subtitles.ok) {
      this.subtitleError.set(subtitles.message);
      return;
    }
    const action = this.action();
    this.busy.set(true);
    this.checking.set(true);
    this.linkNote.set(null);
    try {
      const probe = await this.probe(parsed.data.url);
      this.checking.set(false);
      if (!probe.ok) {
        this.error.set(probe.message);
        return;
      }
      const source: Source = subtitles.tracks.length > 0 ? { ...parsed.data, subtitles: subtitles.tracks } : parsed.data;
      const result = await this.deliver(action, source, probe.title);
      if (result.ok) {
        this.url.set('');
        this.subtitleUrl.set('');
        this.subtitleLabel.set('');
        const input = this.urlInput()?.nativeElement;
        if (input) input.value = ''; // the binding may not have seen the typed text yet
        this.error.set(null);
        this.linkNote.set(action === 'queue' ? `Added “${probe.title}” to the queue.` : null);
      } else {
        this.error.set(refusal(result, action));
      }
    } finally {
      this.checking.set(false);
      this.busy.set(false);
    }
  }

  /** Plays the source now or adds it to the queue. */
  private async deliver(action: PickAction, source: Source, title: string): Promise<SourceSetResult> {
    if (action === 'play') {
      const send = this.send();
      if (send) return send(source);
      if (!this.socket) return { ok: false, error: { code: 'INTERNAL', message: 'Not connected to the party' } };
      const ack = await this.socket.request('source:set', { source });
      return ack.ok ? { ok: true } : ack;
    }
    if (!this.socket) return { ok: false, error: { code: 'INTERNAL', message: 'Not connected to the party' } };
    const ack = await this.socket.request('queue:add', { source, title: title.trim().slice(0, MAX_QUEUE_TITLE) });
    return ack.ok ? { ok: true } : ack;
  }

  // ---- library ----

  protected async pick(media: Media): Promise<void> {
    if (this.picking()) return;
    const action = this.action();
    this.picking.set(media.id);
    this.libraryError.set(null);
    this.libraryNote.set(null);
    try {
      const result = await this.deliver(action, { kind: 'media', mediaId: media.id }, media.title);
      if (!result.ok) {
        this.libraryError.set(refusal(result, action));
        if (result.error.code === 'NOT_FOUND') void this.library.load();
      } else if (action === 'queue') {
        this.libraryNote.set(`Added “${media.title}” to the queue.`);
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
    const action = this.action();
    const result = await this.deliver(action, { kind: 'media', mediaId: media.id }, media.title);
    if (result.ok) {
      this.uploadNote.set(
        action === 'queue'
          ? `“${media.title}” is in the queue${isPlayable(media) ? '' : ' (still being prepared)'}.`
          : isPlayable(media)
            ? `“${media.title}” is now playing for the party.`
            : `“${media.title}” is now the party's video. It can start as soon as the first seconds are ready.`,
      );
    } else {
      this.uploadError.set(
        `Uploaded, but couldn't ${action === 'queue' ? 'add it to the queue' : 'switch the party to it'}: ${refusal(result, action)}`,
      );
    }
  }
}
