import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  type ElementRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterLink } from '@angular/router';
import { joinSessionBodySchema, type LiveShow } from '@watch-party/contracts';
import { PartyChatComponent } from '../../components/chat/party-chat.component';
import { FORM_FIELD } from '../../components/form-field/form-field.imports';
import { PageStateComponent, UnreachablePageComponent } from '../../components/page-state/page-state.component';
import { DebugHandlesService } from '../../services/debug-handles.service';
import { isApiRequestError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import type { PartyDrop } from '../../services/party-connection.service';
import { PartyStarterService } from '../../services/party-starter.service';
import { formatClock } from '../../util/format';
import { PARTY_PAGE_PROVIDERS, PartyPage } from '../party-page';
import { LivePlayer } from './live-player';

const POLL_MS = 3000;
/** After the end, look for the recording this long. */
const RECORDING_WAIT_MS = 120_000;

/** "1 watching", "12 watching". */
export function viewersText(count: number): string {
  return `${count} watching`;
}

/** Why the chat form is back after we were in. */
function dropMessage(dropped: PartyDrop | null): string | null {
  if (!dropped) return null;
  return dropped.kind === 'kicked' ? 'You were removed from the chat.' : 'Your chat pass expired. Join again.';
}

@Component({
  selector: 'wp-live-show-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, FORM_FIELD, PageStateComponent, PartyChatComponent, UnreachablePageComponent],
  providers: PARTY_PAGE_PROVIDERS,
  templateUrl: './live-show-page.component.html',
  styleUrl: './live-show-page.component.scss',
})
export class LiveShowPageComponent extends PartyPage<LiveShow> {
  private readonly live = inject(LiveApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly starter = inject(PartyStarterService);
  private readonly debug = inject(DebugHandlesService);
  private readonly title = inject(Title);

  protected readonly show = signal<LiveShow | null>(null);
  protected readonly muted = signal(false);
  protected readonly trouble = signal<string | null>(null);
  protected readonly playing = signal(false);
  protected readonly joinError = signal<string | null>(null);
  /** A failed join, else why we were dropped from the chat. */
  protected readonly chatError = computed(() => this.joinError() ?? dropMessage(this.party.dropped()));
  protected readonly watchBusy = signal(false);

  protected readonly hlsUrl = computed(() => this.show()?.hlsUrl ?? null);
  protected readonly startedText = computed(() => {
    const at = this.show()?.startedAt;
    return at ? `Started ${formatClock(Date.parse(at))}` : null;
  });
  protected readonly viewers = computed(() => viewersText(this.show()?.viewerCount ?? 0));

  private readonly videoRef = viewChild<ElementRef<HTMLVideoElement>>('video');
  private player: LivePlayer | null = null;
  private loadedUrl: string | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private endedAt: number | null = null;
  private generation = 0;

  constructor() {
    super();
    effect(() => {
      const show = this.show();
      this.title.setTitle(show ? `${show.status === 'live' ? '🔴 ' : ''}${show.title} · watch-party` : 'Live · watch-party');
    });
    // Play as soon as the stream is playable and the <video> exists.
    effect(() => {
      const url = this.hlsUrl();
      const video = this.videoRef()?.nativeElement;
      untracked(() => this.attach(video ?? null, url));
    });
    inject(DestroyRef).onDestroy(() => {
      this.generation++;
      clearTimeout(this.pollTimer);
      this.player?.destroy();
    });
  }

  protected unmute(): void {
    this.player?.unmute();
  }

  protected async joinChat(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.show() || this.party.joining()) return;
    this.party.dismissDrop();
    const parsed = joinSessionBodySchema.safeParse({ name: this.party.name() });
    if (!parsed.success) {
      this.joinError.set('Enter a name (up to 32 characters).');
      return;
    }
    this.joinError.set(null);
    try {
      await this.party.join(parsed.data);
    } catch (error) {
      this.joinError.set(chatJoinError(error));
    }
  }

  /** Opens a new party playing the show's recording. */
  protected async watchRecording(): Promise<void> {
    const mediaId = this.show()?.recordingMediaId;
    if (!mediaId || this.watchBusy()) return;
    this.watchBusy.set(true);
    try {
      const hostName = this.party.identity()?.name || this.identities.lastName() || 'Viewer';
      await this.starter.start({ hostName, source: { kind: 'media', mediaId } });
    } catch {
      this.trouble.set("Couldn't open the recording. Try again from the library.");
    } finally {
      this.watchBusy.set(false);
    }
  }

  protected override find(id: string): Promise<LiveShow> {
    return this.live.get(id);
  }

  protected override async open(id: string): Promise<void> {
    const generation = ++this.generation;
    clearTimeout(this.pollTimer);
    this.party.close();
    this.show.set(null);
    this.endedAt = null;
    const show = await this.loader.load(id);
    if (!show || generation !== this.generation) return;
    this.show.set(show);
    this.party.open(show.sessionId);
    this.schedulePoll(generation);
  }

  private schedulePoll(generation: number): void {
    clearTimeout(this.pollTimer);
    const show = this.show();
    if (show?.status === 'ended') {
      this.endedAt ??= Date.now();
      if (show.recordingMediaId || Date.now() - this.endedAt > RECORDING_WAIT_MS) return;
    }
    this.pollTimer = setTimeout(async () => {
      try {
        const next = await this.live.get(this.id());
        if (generation !== this.generation) return;
        this.show.set(next);
        if (next.status === 'ended') this.trouble.set(null);
        this.attach(this.videoRef()?.nativeElement ?? null, next.hlsUrl);
      } catch {
        // keep the last known state; try again
      }
      if (generation === this.generation) this.schedulePoll(generation);
    }, POLL_MS);
  }

  private attach(video: HTMLVideoElement | null, url: string | null): void {
    if (!video || url === this.loadedUrl) return;
    this.loadedUrl = url;
    this.player?.destroy();
    this.player = null;
    this.playing.set(false);
    if (!url) return;
    this.trouble.set(null);
    this.player = new LivePlayer(
      video,
      {
        muted: (muted) => this.muted.set(muted),
        trouble: (message) => {
          this.trouble.set(message);
          // Maybe the show ended or restarted: look again now.
          this.loadedUrl = null;
          this.schedulePoll(this.generation);
        },
        playing: () => {
          this.playing.set(true);
          this.trouble.set(null);
        },
      },
      this.debug,
    );
    void this.player.load(url);
  }
}

/** Why joining a show's chat failed, in words; a ban or a lock (403) will not pass by retrying. */
export function chatJoinError(error: unknown): string {
  if (!isApiRequestError(error)) return "Couldn't join the chat. Try again.";
  if (error.isNetworkError) return 'Server unreachable. Check your connection and try again.';
  switch (error.statusCode) {
    case 409:
      return 'The chat is full.';
    case 403:
      return `Can't join the chat: ${error.message}.`;
    case 429:
      return 'Too many attempts, wait a minute.';
    default:
      return "Couldn't join the chat. Try again.";
  }
}
