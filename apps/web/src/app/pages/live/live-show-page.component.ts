import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
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
import { PlayerControlsComponent } from '../../components/player-controls/player-controls.component';
import { BrowserStorageService } from '../../services/browser-storage.service';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import type { PartyDrop } from '../../services/party-connection.service';
import { PartyStarterService } from '../../services/party-starter.service';
import { formatClock, viewersText } from '../../util/format';
import { PARTY_PAGE_PROVIDERS, PartyPage } from '../party-page';
import { chatJoinError } from './chat-join-error';
import { LIVE_PLAYER_FACTORY, type LivePlayback } from './live-player';

const POLL_MS = 3000;
/** How often the "LIVE" / "Jump to live" button looks at the distance to the live position. */
const BEHIND_TICK_MS = 1000;
/** Closer than this to the live position counts as live. */
export const LIVE_WITHIN_S = 3;
const VOLUME_STEP = 0.1;
/** Shared with the party player: one volume per person. */
const VOLUME_KEY = 'wp.volume';
const MUTED_KEY = 'wp.live.muted';

/** What the live position button says: "LIVE", or "−12 s" behind it. */
export function behindText(behindS: number | null): string {
  if (behindS === null || behindS < LIVE_WITHIN_S) return 'LIVE';
  return `−${Math.round(behindS)} s`;
}

/** Typing in a field (the chat) never triggers player shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox';
}
/** After the end, look for the recording this long. */
const RECORDING_WAIT_MS = 120_000;

/** Why the chat form is back after we were in. */
function dropMessage(dropped: PartyDrop | null): string | null {
  if (!dropped) return null;
  return dropped.kind === 'kicked' ? 'You were removed from the chat.' : 'Your chat pass expired. Join again.';
}

@Component({
  selector: 'wp-live-show-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, FORM_FIELD, PageStateComponent, PartyChatComponent, PlayerControlsComponent, UnreachablePageComponent],
  providers: PARTY_PAGE_PROVIDERS,
  templateUrl: './live-show-page.component.html',
  styleUrl: './live-show-page.component.scss',
})
export class LiveShowPageComponent extends PartyPage<LiveShow> {
  private readonly live = inject(LiveApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly starter = inject(PartyStarterService);
  private readonly playerFactory = inject(LIVE_PLAYER_FACTORY);
  private readonly storage = inject(BrowserStorageService);
  private readonly document = inject(DOCUMENT);
  private readonly title = inject(Title);

  protected readonly show = signal<LiveShow | null>(null);
  protected readonly muted = signal(false);
  /** The browser refused to autoplay with sound: we play muted and offer "Unmute" over the picture. */
  protected readonly autoMuted = signal(false);
  protected readonly volume = signal(1);
  protected readonly fullscreen = signal(false);
  protected readonly trouble = signal<string | null>(null);
  /** The stream has played once (the "Connecting" overlay is gone). */
  protected readonly playing = signal(false);
  protected readonly paused = signal(false);
  protected readonly waiting = signal(false);
  /** Seconds behind the live position, null while unknown. */
  protected readonly behind = signal<number | null>(null);
  protected readonly joinError = signal<string | null>(null);
  /** A failed join, else why we were dropped from the chat. */
  protected readonly chatError = computed(() => this.joinError() ?? dropMessage(this.party.dropped()));
  protected readonly watchBusy = signal(false);

  protected readonly hlsUrl = computed(() => this.show()?.hlsUrl ?? null);
  /** Live, but the publisher is gone: we wait for it to come back (grace period). */
  protected readonly interrupted = computed(() => {
    const show = this.show();
    return show?.status === 'live' && show.publishing === false;
  });
  /** On air and playable: the badge says LIVE. */
  protected readonly onAir = computed(() => this.show()?.status === 'live' && !!this.hlsUrl() && !this.interrupted());
  protected readonly atLive = computed(() => {
    const behind = this.behind();
    return behind === null || behind < LIVE_WITHIN_S;
  });
  protected readonly behindLabel = computed(() => behindText(this.behind()));
  protected readonly behindAria = computed(() =>
    this.atLive() ? 'Live: playing at the live edge' : `${Math.round(this.behind() ?? 0)} seconds behind live. Jump to live`,
  );
  protected readonly endedText = computed(() => {
    const at = this.show()?.endedAt;
    return at ? `Ended at ${formatClock(Date.parse(at))}` : null;
  });
  protected readonly startedText = computed(() => {
    const at = this.show()?.startedAt;
    return at ? `Started ${formatClock(Date.parse(at))}` : null;
  });
  protected readonly viewers = computed(() => viewersText(this.show()?.viewerCount ?? 0));

  private readonly videoRef = viewChild<ElementRef<HTMLVideoElement>>('video');
  private readonly frameRef = viewChild<ElementRef<HTMLElement>>('frame');
  private player: LivePlayback | null = null;
  private behindTimer: ReturnType<typeof setInterval> | undefined;
  private loadedUrl: string | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private endedAt: number | null = null;
  private generation = 0;

  constructor() {
    super();
    const storedVolume = this.storage.read(VOLUME_KEY);
    const volume = Number(storedVolume);
    if (storedVolume !== null && volume >= 0 && volume <= 1) this.volume.set(volume);
    this.muted.set(this.storage.read(MUTED_KEY) === '1');

    effect(() => {
      const show = this.show();
      this.title.setTitle(show ? `${this.onAir() ? '🔴 ' : ''}${show.title} · watch-party` : 'Live · watch-party');
    });
    effect(() => {
      this.volume();
      this.muted();
      this.videoRef();
      untracked(() => this.applyAudio());
    });
    const onFullscreen = () => this.fullscreen.set(!!this.frameRef() && this.document.fullscreenElement === this.frameRef()?.nativeElement);
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    this.document.addEventListener('fullscreenchange', onFullscreen);
    this.document.addEventListener('keydown', onKey);
    // Play as soon as the stream is playable and the <video> exists.
    effect(() => {
      const url = this.hlsUrl();
      const video = this.videoRef()?.nativeElement;
      untracked(() => this.attach(video ?? null, url));
    });
    inject(DestroyRef).onDestroy(() => {
      this.generation++;
      clearTimeout(this.pollTimer);
      clearInterval(this.behindTimer);
      this.document.removeEventListener('fullscreenchange', onFullscreen);
      this.document.removeEventListener('keydown', onKey);
      this.player?.destroy();
    });
  }

  protected unmute(): void {
    this.autoMuted.set(false);
    this.muted.set(false);
    this.storage.write(MUTED_KEY, '0');
    if (this.volume() === 0) this.setVolume(0.5);
    this.applyAudio();
    this.player?.unmute();
  }

  protected toggleMute(): void {
    if (this.muted() || this.volume() === 0) {
      this.unmute();
    } else {
      this.autoMuted.set(false);
      this.muted.set(true);
      this.storage.write(MUTED_KEY, '1');
      this.applyAudio();
    }
  }

  protected setVolume(value: number): void {
    const volume = Math.round(Math.min(1, Math.max(0, value)) * 100) / 100;
    this.volume.set(volume);
    this.storage.write(VOLUME_KEY, String(volume));
    const muted = volume === 0;
    if (muted !== this.muted()) {
      this.autoMuted.set(false);
      this.muted.set(muted);
      this.storage.write(MUTED_KEY, muted ? '1' : '0');
    }
    this.applyAudio();
  }

  /** The <video> follows volume and mute at once (not only at the next change detection). */
  private applyAudio(): void {
    const video = this.videoRef()?.nativeElement;
    if (!video) return;
    video.volume = this.volume();
    video.muted = this.muted();
  }

  protected togglePlay(): void {
    if (!this.player || this.interrupted()) return;
    if (this.paused()) void this.player.play();
    else this.player.pause();
  }

  protected goLive(): void {
    if (!this.player || this.interrupted()) return;
    this.player.goLive();
    this.behind.set(this.player.behindLiveS());
  }

  protected async toggleFullscreen(): Promise<void> {
    const frame = this.frameRef()?.nativeElement;
    if (!frame) return;
    try {
      if (this.document.fullscreenElement) await this.document.exitFullscreen();
      else await frame.requestFullscreen();
    } catch {
      // Not allowed here (an iframe without allowfullscreen): nothing to do.
    }
  }

  /**
   * Player shortcuts: space/k play-pause, m mute, f fullscreen, l live, ↑/↓ volume. They work when
   * the focus is on the player or on nothing, never while typing (the chat).
   */
  private onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || !this.player) return;
    const target = event.target as HTMLElement | null;
    const frame = this.frameRef()?.nativeElement;
    const onPlayer = !!frame && !!target && frame.contains(target);
    const onNothing = !target || target === this.document.body || target === this.document.documentElement;
    if ((!onPlayer && !onNothing) || isTyping(target)) return;
    const isVolume = !!target?.classList.contains('volume-slider');
    switch (event.key) {
      case ' ':
        if (target?.tagName === 'BUTTON') return; // the focused button handles its own activation
        this.togglePlay();
        break;
      case 'k':
      case 'K':
        this.togglePlay();
        break;
      case 'm':
      case 'M':
        this.toggleMute();
        break;
      case 'f':
      case 'F':
        void this.toggleFullscreen();
        break;
      case 'l':
      case 'L':
        this.goLive();
        break;
      case 'ArrowUp':
      case 'ArrowDown':
        if (isVolume || !onPlayer) return;
        this.setVolume((this.muted() ? 0 : this.volume()) + (event.key === 'ArrowUp' ? VOLUME_STEP : -VOLUME_STEP));
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  protected async joinChat(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.show() || this.show()?.status === 'ended' || this.party.joining()) return;
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

  private schedulePoll(generation: number, delayMs = POLL_MS): void {
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
        const wasInterrupted = this.interrupted();
        this.show.set(next);
        if (next.status === 'ended') this.trouble.set(null);
        // The publisher is back: start again from its new stream.
        if (wasInterrupted && !this.interrupted()) this.loadedUrl = null;
        this.attach(this.videoRef()?.nativeElement ?? null, next.hlsUrl);
      } catch {
        // keep the last known state; try again
      }
      if (generation === this.generation) this.schedulePoll(generation);
    }, delayMs);
  }

  /** Plays `url` on `video`; no video or no url stops the player. */
  private attach(video: HTMLVideoElement | null, url: string | null): void {
    if (!video || !url) {
      this.stopPlayer();
      this.loadedUrl = null;
      return;
    }
    if (url === this.loadedUrl && this.player) return;
    this.stopPlayer();
    this.loadedUrl = url;
    this.trouble.set(null);
    video.volume = this.volume();
    video.muted = this.muted();
    const player = this.playerFactory(video, {
      muted: (muted) => {
        if (player !== this.player || muted === this.muted()) return;
        // Only the browser's autoplay policy mutes on its own.
        this.autoMuted.set(muted);
        this.muted.set(muted);
      },
      trouble: (message) => {
        if (player !== this.player) return;
        this.trouble.set(message);
        // Maybe the show ended or restarted: look again now.
        this.loadedUrl = null;
        this.schedulePoll(this.generation, 0);
      },
      playing: () => {
        if (player !== this.player) return;
        this.playing.set(true);
        this.waiting.set(false);
        this.trouble.set(null);
      },
      waiting: (waiting) => {
        if (player === this.player) this.waiting.set(waiting);
      },
      paused: (paused) => {
        if (player === this.player) this.paused.set(paused);
      },
      ended: () => {
        // The playlist ended: the show did (or the publisher left); look now.
        if (player === this.player) this.schedulePoll(this.generation, 0);
      },
    });
    this.player = player;
    this.behindTimer = setInterval(() => this.behind.set(player.behindLiveS()), BEHIND_TICK_MS);
    void player.load(url);
  }

  private stopPlayer(): void {
    clearInterval(this.behindTimer);
    this.player?.destroy();
    this.player = null;
    this.playing.set(false);
    this.paused.set(false);
    this.waiting.set(false);
    this.behind.set(null);
  }
}
