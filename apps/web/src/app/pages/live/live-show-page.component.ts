import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
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
import { ApiService, isApiRequestError } from '../../services/api.service';
import { IdentityStoreService, type Identity } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import { SessionSocketService, isCredentialRejection } from '../../services/session-socket.service';
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

@Component({
  selector: 'wp-live-show-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, ChatComponent],
  providers: [SessionSocketService],
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
  private readonly document = inject(DOCUMENT);
  private readonly title = inject(Title);
  protected readonly socket = inject(SessionSocketService);

  protected readonly load = signal<LoadState>({ kind: 'loading' });
  protected readonly show = signal<LiveShow | null>(null);
  protected readonly identity = signal<Identity | null>(null);
  protected readonly muted = signal(false);
  protected readonly trouble = signal<string | null>(null);
  protected readonly playing = signal(false);
  protected readonly joinName = signal(this.identities.lastName());
  protected readonly joinError = signal<string | null>(null);
  protected readonly joining = signal(false);
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

  protected readonly sendChat: ChatSender = async (text) => {
    const ack = await this.socket.request('chat:send', { text });
    return ack.ok ? { ok: true } : ack;
  };

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
    effect(() => {
      const status = this.socket.status();
      const problem = this.socket.problem() ?? '';
      untracked(() => {
        if ((status === 'rejected' && isCredentialRejection(problem)) || status === 'kicked') {
          const sessionId = this.show()?.sessionId;
          if (sessionId) this.identities.clear(sessionId);
          this.identity.set(null);
          this.joinError.set(status === 'kicked' ? 'You were removed from the chat.' : 'Your chat pass expired. Join again.');
        }
      });
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
    const show = this.show();
    if (!show || this.joining()) return;
    const parsed = joinSessionBodySchema.safeParse({ name: this.joinName() });
    if (!parsed.success) {
      this.joinError.set('Enter a name (up to 32 characters).');
      return;
    }
    this.joining.set(true);
    this.joinError.set(null);
    try {
      const joined = await this.api.joinSession(show.sessionId, parsed.data);
      const identity: Identity = { token: joined.token, participantId: joined.participantId, name: parsed.data.name };
      this.identities.set(show.sessionId, identity);
      this.identity.set(identity);
      this.socket.connect(identity.token);
    } catch (error) {
      this.joinError.set(
        isApiRequestError(error) && error.statusCode === 409 ? 'The chat is full.' : "Couldn't join the chat. Try again.",
      );
    } finally {
      this.joining.set(false);
    }
  }

  /** Opens a new party playing the show's recording. */
  protected async watchRecording(): Promise<void> {
    const mediaId = this.show()?.recordingMediaId;
    if (!mediaId || this.watchBusy()) return;
    this.watchBusy.set(true);
    try {
      const hostName = this.identity()?.name || this.identities.lastName() || 'Viewer';
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
    this.socket.disconnect();
    this.identity.set(null);
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
      const identity = this.identities.get(show.sessionId);
      if (identity) {
        this.identity.set(identity);
        this.socket.connect(identity.token);
      }
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
      this.document.defaultView,
    );
    void this.player.load(url);
  }
}
