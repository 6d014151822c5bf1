import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  type ElementRef,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { Title } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';
import { ID_PATTERN, joinSessionBodySchema, type LiveShow } from '@watch-party/contracts';
import { ChatComponent, type ChatSender } from '../../components/chat/chat.component';
import { ApiService } from '../../services/api.service';
import { DebugHandlesService } from '../../services/debug-handles.service';
import { isApiRequestError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import { type PartyDrop, PartyConnectionService } from '../../services/party-connection.service';
import { SessionSocketService } from '../../services/session-socket.service';
import { formatClock } from '../../util/format';
import { LivePlayer } from './live-player';

const POLL_MS = 3000;
/** After the end, look for the recording this long. */
const RECORDING_WAIT_MS = 120_000;

type LoadState = { kind: 'loading' } | { kind: 'not-found' } | { kind: 'unreachable' } | { kind: 'ready' };

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
  imports: [RouterLink, ChatComponent],
  providers: [SessionSocketService, PartyConnectionService],
  templateUrl: './live-show-page.component.html',
  styleUrl: './live-show-page.component.scss',
})
export class LiveShowPageComponent {
  /** Route parameter `/live/:id`. */
  readonly id = input.required<string>();

  private readonly live = inject(LiveApiService);
  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly router = inject(Router);
  private readonly debug = inject(DebugHandlesService);
  private readonly title = inject(Title);
  protected readonly party = inject(PartyConnectionService);
  protected readonly socket = inject(SessionSocketService);

  protected readonly load = signal<LoadState>({ kind: 'loading' });
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

  protected readonly sendChat: ChatSender = (text) => this.party.sendChat(text);

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => void this.start(id));
    });
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
      this.joinError.set(
        isApiRequestError(error) && error.statusCode === 409 ? 'The chat is full.' : "Couldn't join the chat. Try again.",
      );
    }
  }

  /** Opens a new party playing the show's recording. */
  protected async watchRecording(): Promise<void> {
    const mediaId = this.show()?.recordingMediaId;
    if (!mediaId || this.watchBusy()) return;
    this.watchBusy.set(true);
    try {
      const hostName = this.party.identity()?.name || this.identities.lastName() || 'Viewer';
      const joined = await this.api.createSession({ hostName, source: { kind: 'media', mediaId } });
      this.identities.set(joined.session.id, { token: joined.token, participantId: joined.participantId, name: hostName });
      await this.router.navigate(['/watch', joined.session.id]);
    } catch {
      this.trouble.set("Couldn't open the recording. Try again from the library.");
    } finally {
      this.watchBusy.set(false);
    }
  }

  protected retry(): void {
    void this.start(this.id());
  }

  private async start(id: string): Promise<void> {
    const generation = ++this.generation;
    clearTimeout(this.pollTimer);
    this.party.close();
    this.show.set(null);
    this.endedAt = null;
    if (!ID_PATTERN.test(id)) {
      this.load.set({ kind: 'not-found' });
      return;
    }
    this.load.set({ kind: 'loading' });
    try {
      const show = await this.live.get(id);
      if (generation !== this.generation) return;
      this.show.set(show);
      this.load.set({ kind: 'ready' });
      this.party.open(show.sessionId);
      this.schedulePoll(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      if (isApiRequestError(error) && error.statusCode === 404) this.load.set({ kind: 'not-found' });
      else this.load.set({ kind: 'unreachable' });
    }
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
