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
import { NgTemplateOutlet } from '@angular/common';
import { RouterLink } from '@angular/router';
import { createLiveBodySchema, joinSessionBodySchema, type LiveShow, type LiveStatus } from '@watch-party/contracts';
import { PartyChatComponent } from '../../components/chat/party-chat.component';
import { FORM_FIELD } from '../../components/form-field/form-field.imports';
import { BrowserStorageService } from '../../services/browser-storage.service';
import { isApiRequestError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import { LiveBroadcastService } from '../../services/live-broadcast.service';
import { PartyConnectionService } from '../../services/party-connection.service';
import { toFieldErrors, type FieldErrors } from '../../util/form-errors';
import { formatTime } from '../../util/format';
import { LIVE_PLAYER_FACTORY, type LivePlayback } from '../live/live-player';
import { chatJoinError } from '../live/chat-join-error';
import { PARTY_PAGE_PROVIDERS } from '../party-page';

/** What the creator's browser keeps to come back to its show (the key is shown to it only). */
export interface CreatorShow {
  id: string;
  title: string;
  sessionId: string;
  streamKey: string;
  rtmpUrl: string | null;
}

export const CREATOR_SHOW_KEY = 'wp.live.creator';
const POLL_MS = 3000;
const COPIED_MS = 2000;

export type SourceKind = 'camera' | 'screen';
export type CopyTarget = 'server' | 'key' | 'viewer' | 'ffmpeg' | 'obs';

/** Encoder settings for low latency: 2 s GOP at 30 fps, CBR 2.5 Mbit/s, AAC 128k at 48 kHz. */
export const FFMPEG_OUTPUT_ARGS =
  '-c:v libx264 -preset veryfast -tune zerolatency -g 60 -keyint_min 60 -sc_threshold 0 ' +
  '-b:v 2500k -maxrate 2500k -bufsize 5000k -c:a aac -b:a 128k -ar 48000 -f flv';

/** What to set in OBS (Settings → Output, Output Mode: Advanced) for a few seconds of latency. */
export const OBS_SETTINGS_TEXT = [
  'Output Mode: Advanced',
  'Encoder: x264',
  'Rate Control: CBR',
  'Bitrate: 2500 Kbps',
  'Keyframe Interval: 2 s (1 s for the lowest latency)',
  'CPU Usage Preset: veryfast',
  'Tune: zerolatency',
  'Audio: AAC 128 kbps, 48 kHz',
].join('\n');

/** Older than this, the newest segment means the stream stalled: the health line turns red. */
export const HEALTH_STALE_MS = 3000;

type StreamHealth = NonNullable<LiveShow['health']>;

/**
 * Frames per second of the stream, when the server measured it (`health.fps`, added to the
 * contract after kbit/s and the segment length; older servers leave it out).
 */
export function healthFps(health: StreamHealth): number | null {
  const fps = (health as { fps?: unknown }).fps;
  return typeof fps === 'number' && Number.isFinite(fps) && fps >= 0 ? fps : null;
}

/** "30 fps", "29.97 fps"; "— fps" while unknown. */
export function fpsText(fps: number | null): string {
  return fps === null ? '— fps' : `${Math.round(fps * 100) / 100} fps`;
}

/** The health line's last part: the newest segment's age, or how long no video came. */
export function segmentAgeText(ageMs: number): string {
  return ageMs > HEALTH_STALE_MS ? `no new video for ${(ageMs / 1000).toFixed(0)} s` : `last segment ${(ageMs / 1000).toFixed(1)} s ago`;
}

/**
 * A command line cut where it may wrap on screen: between arguments, an option kept with its
 * value ("-c:v libx264"), a quoted argument whole. Joined with spaces it is the command again.
 */
export function commandParts(command: string): string[] {
  const words = command.match(/"[^"]*"|\S+/g) ?? [];
  const parts: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const next = words[i + 1];
    if (word.startsWith('-') && next !== undefined && !next.startsWith('-') && i + 1 < words.length - 1) {
      parts.push(`${word} ${next}`);
      i++;
    } else {
      parts.push(word);
    }
  }
  return parts;
}

/** "rtmp://host:1935/live" → the full URL ffmpeg takes, key included. */
export function fullRtmpUrl(rtmpUrl: string, key: string): string {
  return `${rtmpUrl.replace(/\/+$/, '')}/${key}`;
}

/** A complete ffmpeg command line publishing `input.mp4` to the show. */
export function ffmpegCommand(rtmpUrl: string, key: string): string {
  return `ffmpeg -re -i input.mp4 ${FFMPEG_OUTPUT_ARGS} "${fullRtmpUrl(rtmpUrl, key)}"`;
}

@Component({
  selector: 'wp-go-live-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, NgTemplateOutlet, FORM_FIELD, PartyChatComponent],
  // The show's chat: this page is one more party page (the creator is the party's host).
  providers: [LiveBroadcastService, ...PARTY_PAGE_PROVIDERS],
  templateUrl: './go-live-page.component.html',
  styleUrl: './go-live-page.component.scss',
})
export class GoLivePageComponent {
  private readonly live = inject(LiveApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly document = inject(DOCUMENT);
  private readonly storage = inject(BrowserStorageService);
  protected readonly broadcast = inject(LiveBroadcastService);
  protected readonly party = inject(PartyConnectionService);

  protected readonly title = signal('');
  protected readonly name = signal(this.identities.lastName());
  protected readonly errors = signal<FieldErrors>({});
  protected readonly busy = signal(false);
  protected readonly createError = signal<string | null>(null);

  protected readonly created = signal<CreatorShow | null>(null);
  protected readonly show = signal<LiveShow | null>(null);
  protected readonly status = computed<LiveStatus>(() => this.show()?.status ?? 'scheduled');
  protected readonly keyVisible = signal(false);
  protected readonly copied = signal<CopyTarget | null>(null);
  protected readonly obsSettings = OBS_SETTINGS_TEXT;

  protected readonly source = signal<SourceKind>('camera');
  protected readonly stream = signal<MediaStream | null>(null);
  protected readonly mediaError = signal<string | null>(null);
  protected readonly acquiring = signal(false);
  protected readonly now = signal(Date.now());
  protected readonly onAir = computed(() => this.broadcast.status() === 'live' || this.broadcast.status() === 'reconnecting');
  /** This page publishes (or is about to, or is stopping). */
  private readonly pagePublishing = computed(() => this.onAir() || this.broadcast.status() === 'connecting' || this.broadcast.status() === 'stopping');
  /**
   * OBS mode: the show is on air from somebody else (OBS, ffmpeg): this page offers no camera.
   * A live show whose publisher is gone (`publishing: false`, the grace period) may be taken
   * over from this browser.
   */
  protected readonly obsMode = computed(() => this.status() === 'live' && this.show()?.publishing !== false && !this.pagePublishing());
  /** Live but nobody publishes: waiting for the publisher to come back before the show ends. */
  protected readonly interrupted = computed(() => this.status() === 'live' && this.show()?.publishing === false && !this.pagePublishing());
  protected readonly elapsed = computed(() => {
    const startedAt = this.show()?.startedAt;
    const started = this.onAir() ? this.broadcast.startedAt() : startedAt ? Date.parse(startedAt) : null;
    return started === null || Number.isNaN(started) ? '0:00' : formatTime(Math.max(0, this.now() - started) / 1000);
  });
  /** The show's HLS while on air (either source): the creator sees what viewers see. */
  /** The creator's own preview: `?preview=1` so the server does not count it as a viewer. */
  protected readonly outputUrl = computed(() => {
    const url = this.onAir() || this.obsMode() ? (this.show()?.hlsUrl ?? null) : null;
    return url === null ? null : `${url}${url.includes('?') ? '&' : '?'}preview=1`;
  });
  protected readonly outputTrouble = signal<string | null>(null);
  protected readonly confirmingEnd = signal(false);
  protected readonly canRecord = this.broadcast.supported;
  protected readonly hasDisplayMedia = !!this.document.defaultView?.navigator.mediaDevices?.getDisplayMedia;
  protected readonly ending = signal(false);
  /** The show's party while it is not over: the creator reads and writes its chat here. */
  private readonly chatSessionId = computed(() => {
    const mine = this.created();
    return mine && this.status() !== 'ended' ? mine.sessionId : null;
  });
  protected readonly chatError = signal<string | null>(null);
  protected readonly fpsText = fpsText;
  protected readonly healthFps = healthFps;
  protected readonly segmentAgeText = segmentAgeText;
  protected readonly healthStaleMs = HEALTH_STALE_MS;
  protected readonly commandParts = commandParts;

  private readonly preview = viewChild<ElementRef<HTMLVideoElement>>('preview');
  private readonly outputVideo = viewChild<ElementRef<HTMLVideoElement>>('output');
  private readonly cancelEndButton = viewChild<ElementRef<HTMLButtonElement>>('cancelEndButton');
  private readonly endShowButton = viewChild<ElementRef<HTMLButtonElement>>('endShowButton');
  private readonly playerFactory = inject(LIVE_PLAYER_FACTORY);
  private outputPlayer: LivePlayback | null = null;
  private outputLoaded: string | null = null;
  private refocusEnd = false;
  private readonly titleInput = viewChild<ElementRef<HTMLInputElement>>('titleInput');
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private clockTimer: ReturnType<typeof setInterval> | undefined;
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    effect(() => {
      const video = this.preview()?.nativeElement;
      const stream = this.stream();
      if (video && video.srcObject !== stream) {
        video.srcObject = stream;
        if (stream) void video.play().catch(() => undefined);
      }
    });
    effect(() => {
      clearInterval(this.clockTimer);
      if (this.onAir() || this.obsMode()) {
        this.now.set(Date.now());
        this.clockTimer = setInterval(() => this.now.set(Date.now()), 1000);
      }
    });
    // OBS took over: the camera is not needed here.
    effect(() => {
      if (this.obsMode()) untracked(() => this.stopTracks());
    });
    effect(() => this.attachOutput(this.outputVideo()?.nativeElement ?? null, this.outputUrl()));
    // Connects with the host pass stored at creation (or a rejoin's); leaves when the show ends.
    effect(() => {
      const sessionId = this.chatSessionId();
      untracked(() => {
        this.chatError.set(null);
        if (sessionId) this.party.open(sessionId);
        else this.party.close();
      });
    });
    // The confirmation opens on Cancel (the safe choice); closing it returns to "End show".
    effect(() => {
      const cancel = this.cancelEndButton()?.nativeElement;
      const end = this.endShowButton()?.nativeElement;
      if (cancel) cancel.focus();
      else if (end && this.refocusEnd) {
        this.refocusEnd = false;
        end.focus();
      }
    });
    this.restore();
    inject(DestroyRef).onDestroy(() => {
      this.stopOutput();
      clearTimeout(this.pollTimer);
      clearInterval(this.clockTimer);
      clearTimeout(this.copiedTimer);
      this.stopTracks();
    });
  }

  protected async create(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy()) return;
    const parsed = createLiveBodySchema.safeParse({ title: this.title(), creatorName: this.name() });
    if (!parsed.success) {
      this.errors.set(toFieldErrors(parsed.error));
      if (this.errors()['title']) this.titleInput()?.nativeElement.focus();
      return;
    }
    this.errors.set({});
    this.createError.set(null);
    this.busy.set(true);
    try {
      const created = await this.live.create(parsed.data);
      this.identities.set(created.show.sessionId, {
        token: created.token,
        participantId: created.participantId,
        name: parsed.data.creatorName,
      });
      const mine: CreatorShow = {
        id: created.show.id,
        title: created.show.title,
        sessionId: created.show.sessionId,
        streamKey: created.streamKey,
        rtmpUrl: created.ingest.rtmpUrl,
      };
      this.save(mine);
      this.created.set(mine);
      this.show.set(created.show);
      this.poll();
    } catch (error) {
      this.createError.set(
        isApiRequestError(error)
          ? error.isNetworkError
            ? 'Server unreachable. Check your connection and try again.'
            : error.statusCode === 401
              ? 'Going live needs the admin token on this server. Sign in as admin on the Library page, then try again.'
              : error.message
          : 'Something went wrong, try again.',
      );
    } finally {
      this.busy.set(false);
    }
  }

  /** Without a pass (lost, or the server no longer takes it): join the chat again, by name. */
  protected async joinChat(): Promise<void> {
    if (this.party.joining()) return;
    this.party.dismissDrop();
    const parsed = joinSessionBodySchema.safeParse({ name: this.show()?.creatorName ?? this.party.name() });
    if (!parsed.success) {
      this.chatError.set('Enter a name (up to 32 characters).');
      return;
    }
    this.chatError.set(null);
    try {
      await this.party.join(parsed.data);
    } catch (error) {
      this.chatError.set(chatJoinError(error));
    }
  }

  protected edit(field: 'title' | 'name', value: string): void {
    (field === 'title' ? this.title : this.name).set(value);
    if (this.errors()[field === 'name' ? 'creatorName' : 'title']) this.errors.set({});
  }

  protected chooseSource(kind: SourceKind): void {
    if (this.source() === kind || this.onAir()) return;
    this.source.set(kind);
    this.stopTracks();
  }

  /** Asks for the camera and microphone (or a screen) and shows it. */
  protected async startPreview(): Promise<MediaStream | null> {
    const devices = this.document.defaultView?.navigator.mediaDevices;
    if (!devices) {
      this.mediaError.set('This browser does not give pages access to cameras (a secure https:// page is needed).');
      return null;
    }
    this.acquiring.set(true);
    this.mediaError.set(null);
    try {
      const stream =
        this.source() === 'screen'
          ? await devices.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: true })
          : await devices.getUserMedia({
              video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
              audio: true,
            });
      this.stopTracks();
      this.stream.set(stream);
      // The user stopped sharing from the browser's own bar: stop the broadcast too.
      stream.getVideoTracks()[0]?.addEventListener('ended', () => {
        if (this.onAir()) void this.stopBroadcast();
        else this.stopTracks();
      });
      return stream;
    } catch (error) {
      const name = (error as { name?: string }).name;
      this.mediaError.set(
        name === 'NotAllowedError'
          ? 'Permission denied. Allow camera and microphone (or screen sharing) for this site and try again.'
          : name === 'NotFoundError'
            ? 'No camera or microphone found.'
            : "Couldn't start the camera or screen capture.",
      );
      return null;
    } finally {
      this.acquiring.set(false);
    }
  }

  protected async goLive(): Promise<void> {
    const mine = this.created();
    if (!mine) return;
    const stream = this.stream() ?? (await this.startPreview());
    if (!stream) return;
    await this.broadcast.start(stream, mine.streamKey);
    this.poll();
  }

  protected async stopBroadcast(): Promise<void> {
    await this.broadcast.stop();
    this.stopTracks();
    this.poll();
  }

  /** "End show" asks first. */
  protected askEnd(): void {
    this.confirmingEnd.set(true);
  }

  protected cancelEnd(): void {
    if (!this.confirmingEnd()) return;
    this.refocusEnd = true;
    this.confirmingEnd.set(false);
  }

  /** Confirmed: end the show (stops this browser's broadcast too). */
  protected async endShow(): Promise<void> {
    const mine = this.created();
    if (!mine || this.ending()) return;
    this.ending.set(true);
    this.confirmingEnd.set(false);
    try {
      if (this.onAir()) await this.stopBroadcast();
      this.show.set(await this.live.end(mine.id, mine.streamKey));
    } catch {
      this.mediaError.set("Couldn't end the show. Try again.");
    } finally {
      this.ending.set(false);
    }
  }

  protected startOver(): void {
    if (this.onAir()) return;
    this.stopTracks();
    clearTimeout(this.pollTimer);
    this.created.set(null);
    this.show.set(null);
    this.keyVisible.set(false);
    this.confirmingEnd.set(false);
    this.broadcast.status.set('idle');
    this.broadcast.problem.set(null);
    this.broadcast.startedAt.set(null);
    this.title.set('');
    this.storage.remove(CREATOR_SHOW_KEY);
  }

  protected async copy(what: CopyTarget): Promise<void> {
    const mine = this.created();
    if (!mine) return;
    const text = {
      key: () => mine.streamKey,
      server: () => mine.rtmpUrl ?? '',
      viewer: () => this.viewerUrl(mine),
      ffmpeg: () => this.ffmpeg(mine, false),
      obs: () => OBS_SETTINGS_TEXT,
    }[what]();
    try {
      await this.document.defaultView?.navigator.clipboard.writeText(text);
      this.copied.set(what);
      clearTimeout(this.copiedTimer);
      this.copiedTimer = setTimeout(() => this.copied.set(null), COPIED_MS);
    } catch {
      this.copied.set(null);
    }
  }

  protected fullUrl(mine: CreatorShow): string {
    return mine.rtmpUrl ? fullRtmpUrl(mine.rtmpUrl, mine.streamKey) : '';
  }

  /** The audience page, absolute, to send to viewers. */
  protected viewerUrl(mine: CreatorShow): string {
    return new URL(`live/${encodeURIComponent(mine.id)}`, this.document.baseURI).href;
  }

  /** The ffmpeg command line; the key is masked on screen unless shown. */
  protected ffmpeg(mine: CreatorShow, masked: boolean): string {
    if (!mine.rtmpUrl) return '';
    return ffmpegCommand(mine.rtmpUrl, masked ? '•'.repeat(12) : mine.streamKey);
  }

  /** Plays the show's HLS, muted, in the "what viewers see" preview. */
  private attachOutput(video: HTMLVideoElement | null, url: string | null): void {
    if (!video || !url) {
      this.stopOutput();
      return;
    }
    if (url === this.outputLoaded && this.outputPlayer) return;
    this.stopOutput();
    this.outputLoaded = url;
    untracked(() => this.outputTrouble.set(null));
    video.muted = true;
    const player = this.playerFactory(video, {
      muted: () => undefined,
      trouble: (message) => {
        if (player === this.outputPlayer) this.outputTrouble.set(message);
      },
      playing: () => {
        if (player === this.outputPlayer) this.outputTrouble.set(null);
      },
      waiting: () => undefined,
      paused: () => undefined,
      ended: () => undefined,
    });
    this.outputPlayer = player;
    void player.load(url);
  }

  private stopOutput(): void {
    this.outputPlayer?.destroy();
    this.outputPlayer = null;
    this.outputLoaded = null;
  }

  private poll(): void {
    clearTimeout(this.pollTimer);
    const mine = this.created();
    if (!mine) return;
    this.pollTimer = setTimeout(async () => {
      try {
        const show = await this.live.get(mine.id);
        if (this.created()?.id !== mine.id) return;
        this.show.set(show);
        if (show.status === 'ended') return;
      } catch {
        // keep polling
      }
      this.poll();
    }, POLL_MS);
  }

  private restore(): void {
    let saved: CreatorShow | null = null;
    try {
      saved = JSON.parse(this.storage.read(CREATOR_SHOW_KEY) ?? 'null') as CreatorShow | null;
    } catch {
      saved = null;
    }
    if (!saved?.id || !saved.streamKey) return;
    const mine = saved;
    void this.live.get(mine.id).then(
      (show) => {
        if (show.status === 'ended' || this.created()) return;
        this.created.set(mine);
        this.show.set(show);
        this.poll();
      },
      () => undefined,
    );
  }

  /** Without storage the copy lasts for this tab only: the key is shown now. */
  private save(mine: CreatorShow): void {
    this.storage.write(CREATOR_SHOW_KEY, JSON.stringify(mine));
  }

  private stopTracks(): void {
    this.stream()
      ?.getTracks()
      .forEach((t) => t.stop());
    this.stream.set(null);
  }
}
