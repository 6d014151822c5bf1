import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  type ElementRef,
  Injector,
  afterNextRender,
  afterRenderEffect,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import type { Media, PlaybackControl, PlaybackState, Source } from '@watch-party/contracts';
import { BrowserStorageService } from '../../services/browser-storage.service';
import { FETCH } from '../../services/http';
import { liveHlsUrl } from '../../services/live-api.service';
import { playbackUrl } from '../../services/media-library.service';
import { SyncEngineService } from '../../services/sync-engine.service';
import { formatRate, formatTime } from '../../util/format';
import { MenuButtonComponent, type MenuItem } from '../menu/menu-button.component';
import { PlayerControlsComponent } from '../player-controls/player-controls.component';
import { ProgressBarComponent } from '../progress-bar/progress-bar.component';
import { transientMessage } from '../../util/transient-message';
import { MediaLoader, type QualityLevel } from './media-loader';
import {
  CAPTIONS_KEY,
  type CaptionTrack,
  SubtitleRenderer,
  captionTracksOf,
  parsePreference,
  preferenceFor,
  preferredTrack,
} from './subtitle-tracks';

export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;
const SEEK_STEP_S = 5;
const VOLUME_STEP = 0.1;
const VOLUME_KEY = 'wp.volume';
/** A subtitle file from a link that has not answered after this long counts as failed. */
const SUBTITLE_FETCH_TIMEOUT_MS = 15_000;
/** How long "couldn't load the subtitles" stays over the picture. */
const SUBTITLE_ERROR_MS = 8_000;

interface Range {
  start: number;
  end: number;
}

/**
 * The synced player. The <video> only ever follows the server's state through the
 * SyncEngine; play/pause/seek/rate controls emit commands (`control`) and change nothing
 * locally. Volume, mute, quality, subtitles and fullscreen are personal and act at once.
 */
@Component({
  selector: 'wp-player',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MenuButtonComponent, PlayerControlsComponent, ProgressBarComponent],
  templateUrl: './player.component.html',
  styleUrl: './player.component.scss',
})
export class PlayerComponent {
  readonly source = input<Source | null>(null);
  /** The library item behind a `{ kind: 'media' }` source, when known (kept fresh by the page). */
  readonly media = input<Media | null>(null);
  /** Why that item can't be loaded (e.g. it was deleted). */
  readonly mediaProblem = input<string | null>(null);
  readonly state = input<PlaybackState | null>(null);
  readonly canControl = input(false);
  /** Why controls are disabled, e.g. "Only Ann (host) can control playback". */
  readonly controlHint = input('');
  /** Empty state line: who can pick a video. */
  readonly emptyHint = input('The host will pick something to watch.');
  readonly control = output<PlaybackControl>();

  protected readonly engine = inject(SyncEngineService);
  private readonly document = inject(DOCUMENT);
  private readonly storage = inject(BrowserStorageService);
  /** FETCH is resolved only when a link's subtitles are fetched (tests without fetch never need it). */
  private readonly injector = inject(Injector);
  private readonly frame = viewChild.required<ElementRef<HTMLElement>>('frame');
  private readonly videoRef = viewChild<ElementRef<HTMLVideoElement>>('video');
  private readonly seekInput = viewChild<ElementRef<HTMLInputElement>>('seekInput');
  private loader: MediaLoader | null = null;
  private subtitles: SubtitleRenderer | null = null;
  private loadedKey: string | null = null;

  protected readonly time = signal(0);
  protected readonly duration = signal(Number.NaN);
  protected readonly buffered = signal<Range[]>([]);
  protected readonly waiting = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly volume = signal(1);
  protected readonly muted = signal(false);
  protected readonly fullscreen = signal(false);
  protected readonly levels = signal<QualityLevel[]>([]);
  protected readonly level = signal(-1);
  protected readonly autoLevel = signal(true);
  /** Seek bar position while the user drags it (nothing is sent until release). */
  protected readonly scrub = signal<number | null>(null);
  /** The key of the subtitle track this viewer picked (null: off). Never sent to the party. */
  protected readonly captionKey = signal<string | null>(null);
  /** The texts of the cues active at the synced position. */
  protected readonly cueTexts = signal<string[]>([]);
  protected readonly captionError = transientMessage(SUBTITLE_ERROR_MS);

  /** The library item of the current source, once its details are known. */
  protected readonly sourceMedia = computed(() => {
    const source = this.source();
    const media = this.media();
    return source?.kind === 'media' && media?.id === source.mediaId ? media : null;
  });
  /**
   * What the <video> loads: the pasted link, or the item's HLS stream as soon as its first
   * segments exist (else the original file once ready). Null while there is nothing to play yet.
   */
  protected readonly playUrl = computed(() => {
    const source = this.source();
    if (!source) return null;
    if (source.kind === 'url') return source.url;
    if (source.kind === 'live') return liveHlsUrl(source.showId);
    const media = this.sourceMedia();
    return media ? playbackUrl(media) : null;
  });
  /** The subtitle tracks of the current source (they appear once the item's details list them). */
  protected readonly captionTracks = computed(() => captionTracksOf(this.source(), this.sourceMedia()));
  /** The picked track; the same key counts as the same track, so a details refresh changes nothing. */
  protected readonly captionTrack = computed<CaptionTrack | null>(
    () => this.captionTracks().find((t) => t.key === this.captionKey()) ?? null,
    { equal: (a, b) => a?.key === b?.key },
  );
  protected readonly captionItems = computed<MenuItem[]>(() => [
    { value: '', label: 'Off', checked: this.captionTrack() === null },
    ...this.captionTracks().map((t) => ({ value: t.key, label: t.label, checked: t.key === this.captionTrack()?.key })),
  ]);
  protected readonly captionLabel = computed(() => {
    const track = this.captionTrack();
    return track ? `Subtitles: ${track.label}` : 'Subtitles: off';
  });
  /**
   * A library item's real length: while it is still being transcoded the HLS stream only
   * knows the seconds encoded so far (0:04, 0:14, ...), the server knows the whole.
   */
  protected readonly knownDuration = computed(() => {
    const seconds = this.sourceMedia()?.durationSec;
    return seconds !== null && seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : null;
  });
  /** What the time display and the seek bar scale use. */
  protected readonly totalDuration = computed(() => this.knownDuration() ?? this.duration());
  /** A library item is the source but can't play yet (details loading, or transcoding). */
  protected readonly preparing = computed(() => !!this.source() && this.playUrl() === null);
  protected readonly preparingPct = computed(() => Math.round((this.sourceMedia()?.progress ?? 0) * 100));

  protected readonly playing = computed(() => this.state()?.playing ?? false);
  protected readonly rate = computed(() => this.state()?.rate ?? 1);
  protected readonly seekable = computed(() => Number.isFinite(this.totalDuration()) && this.totalDuration() > 0);
  /** Group paused: show exactly the group's position, not whatever the element says. */
  protected readonly shownTime = computed(() => {
    const scrub = this.scrub();
    if (scrub !== null) return scrub;
    const state = this.state();
    return state && !state.playing ? state.position : this.time();
  });
  protected readonly timeText = computed(() => formatTime(this.shownTime()));
  protected readonly durationText = computed(() => (this.seekable() ? formatTime(this.totalDuration()) : 'Live'));
  protected readonly playedPct = computed(() => this.pct(this.shownTime()));
  protected readonly bufferedPct = computed(() =>
    this.buffered().map((r) => ({ left: this.pct(r.start), width: this.pct(r.end) - this.pct(r.start) })),
  );
  protected readonly showJoinOverlay = computed(() => this.engine.needsGesture() && this.playing());
  protected readonly showSpinner = computed(
    () => !!this.playUrl() && !this.error() && !this.showJoinOverlay() && (this.waiting() || this.engine.status() === 'buffering'),
  );
  protected readonly lockedTitle = computed(() => (this.canControl() ? null : this.controlHint()));
  protected readonly rateItems = computed<MenuItem[]>(() =>
    RATES.map((r) => ({ value: String(r), label: r === 1 ? 'Normal' : formatRate(r), checked: r === this.rate() })),
  );
  protected readonly rateText = computed(() => formatRate(this.rate()));
  protected readonly qualityItems = computed<MenuItem[]>(() => {
    const current = this.levels().find((l) => l.index === this.level());
    return [
      { value: '-1', label: current && this.autoLevel() ? `Auto (${current.height}p)` : 'Auto', checked: this.autoLevel() },
      ...[...this.levels()]
        .sort((a, b) => b.height - a.height)
        .map((l) => ({ value: String(l.index), label: `${l.height}p`, checked: !this.autoLevel() && l.index === this.level() })),
    ];
  });

  constructor() {
    const storedVolume = this.storage.read(VOLUME_KEY);
    const volume = Number(storedVolume);
    if (storedVolume !== null && volume >= 0 && volume <= 1) this.volume.set(volume);

    afterNextRender(() => {
      const video = this.videoRef()?.nativeElement;
      if (!video) return;
      video.volume = this.volume();
      video.muted = this.muted();
      this.loader = new MediaLoader(video, {
        levels: (levels) => {
          this.levels.set(levels);
          this.autoLevel.set(true);
        },
        levelSwitched: (index) => this.level.set(index),
        failed: (message) => this.error.set(message),
      });
      this.listen(video);
      this.engine.attach(video);
      this.loadSource(untracked(this.playUrl));
      this.subtitles = new SubtitleRenderer(
        video,
        {
          cues: (texts) => this.cueTexts.set(texts),
          failed: (message) => this.captionError.show(message),
        },
        (url) => this.fetchText(url),
      );
      void this.subtitles.show(untracked(this.captionTrack));
    });

    // New tracks (another source, or extraction finished): keep the pick if it is still there,
    // else take the one matching what this browser chose before.
    effect(() => {
      const tracks = this.captionTracks();
      untracked(() => {
        const key = this.captionKey();
        if (key !== null && tracks.some((t) => t.key === key)) return;
        this.captionKey.set(preferredTrack(tracks, parsePreference(this.storage.read(CAPTIONS_KEY)))?.key ?? null);
      });
    });

    effect(() => {
      const track = this.captionTrack();
      untracked(() => {
        this.captionError.show(null);
        void this.subtitles?.show(track);
      });
    });

    // Everyone sees who cannot play the source: the engine reports status `error` with this text.
    effect(() => {
      const error = this.error();
      untracked(() => this.engine.mediaError.set(error));
    });

    // A new source (or a library item that just became playable): load it, let the follower start afresh.
    effect(() => {
      const url = this.playUrl();
      untracked(() => this.loadSource(url));
    });

    // max before value, and both every time: a value set while max is still 0 gets clamped.
    afterRenderEffect(() => {
      const input = this.seekInput()?.nativeElement;
      if (!input) return;
      input.max = String(this.seekable() ? this.totalDuration() : 0);
      input.value = String(this.shownTime());
    });

    effect(() => {
      const volume = this.volume();
      const muted = this.muted();
      const video = this.videoRef()?.nativeElement;
      if (video) {
        video.volume = volume;
        video.muted = muted;
      }
    });

    const onFullscreen = () => this.fullscreen.set(this.document.fullscreenElement === this.frame().nativeElement);
    this.document.addEventListener('fullscreenchange', onFullscreen);
    inject(DestroyRef).onDestroy(() => {
      this.document.removeEventListener('fullscreenchange', onFullscreen);
      this.engine.detach();
      this.loader?.destroy();
      this.subtitles?.destroy();
    });
  }

  // ---- group controls: commands only ----

  protected togglePlay(): void {
    if (!this.canControl() || !this.playUrl()) return;
    if (this.playing()) {
      // Pause where this viewer sees it, not where the command happens to land.
      const at = this.engine.expectedPosition();
      this.control.emit(at === null ? { action: 'pause' } : { action: 'pause', position: this.clampTime(at) });
    } else {
      this.control.emit({ action: 'play' });
    }
  }

  protected seekBy(deltaS: number): void {
    if (!this.canControl() || !this.seekable()) return;
    const from = this.engine.expectedPosition() ?? this.shownTime();
    this.control.emit({ action: 'seek', position: this.clampTime(from + deltaS) });
  }

  protected onScrub(value: string): void {
    this.scrub.set(Number(value));
  }

  protected onSeekCommit(value: string): void {
    this.scrub.set(null);
    if (!this.canControl()) return;
    this.control.emit({ action: 'seek', position: this.clampTime(Number(value)) });
  }

  protected setRate(value: string): void {
    const rate = Number(value);
    if (this.canControl() && Number.isFinite(rate) && rate !== this.rate()) this.control.emit({ action: 'rate', rate });
  }

  protected joinPlayback(): void {
    this.engine.unlockPlayback();
  }

  // ---- personal controls ----

  protected toggleMute(): void {
    if (this.muted() || this.volume() === 0) {
      this.muted.set(false);
      if (this.volume() === 0) this.setVolume(0.5);
    } else {
      this.muted.set(true);
    }
  }

  protected setVolume(value: number): void {
    const volume = Math.round(Math.min(1, Math.max(0, value)) * 100) / 100;
    this.volume.set(volume);
    this.muted.set(volume === 0);
    this.storage.write(VOLUME_KEY, String(volume));
  }

  protected setLevel(value: string): void {
    const index = Number(value);
    this.autoLevel.set(index < 0);
    if (index >= 0) this.level.set(index);
    this.loader?.setLevel(index);
  }

  /** Picks a subtitle track ('' for off) and remembers the choice for the next videos. */
  protected setCaption(key: string): void {
    const track = this.captionTracks().find((t) => t.key === key) ?? null;
    this.captionKey.set(track?.key ?? null);
    this.storage.write(CAPTIONS_KEY, JSON.stringify(preferenceFor(track)));
  }

  /** `c`: off, or back on with the remembered choice (else the first track). */
  protected toggleCaptions(): boolean {
    const tracks = this.captionTracks();
    if (tracks.length === 0) return false;
    if (this.captionTrack()) {
      this.setCaption('');
    } else {
      const remembered = preferredTrack(tracks, { ...parsePreference(this.storage.read(CAPTIONS_KEY)), on: true });
      this.setCaption((remembered ?? tracks[0]).key);
    }
    return true;
  }

  protected async toggleFullscreen(): Promise<void> {
    try {
      if (this.document.fullscreenElement) await this.document.exitFullscreen();
      else await this.frame().nativeElement.requestFullscreen();
    } catch {
      // Not allowed here (iframe without allowfullscreen): nothing to do.
    }
  }

  /** Player shortcuts: space/k play-pause, ←/→ ±5 s, ↑/↓ volume, f fullscreen, m mute, c subtitles. */
  protected onKey(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement;
    const isButton = target.tagName === 'BUTTON';
    const isVolume = target.classList.contains('volume-slider');
    switch (event.key) {
      case ' ':
        if (isButton) return; // the focused button handles its own activation
        this.togglePlay();
        break;
      case 'k':
      case 'K':
        this.togglePlay();
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        if (isVolume) return;
        this.seekBy(event.key === 'ArrowLeft' ? -SEEK_STEP_S : SEEK_STEP_S);
        break;
      case 'ArrowUp':
      case 'ArrowDown':
        this.setVolume((this.muted() ? 0 : this.volume()) + (event.key === 'ArrowUp' ? VOLUME_STEP : -VOLUME_STEP));
        break;
      case 'f':
      case 'F':
        void this.toggleFullscreen();
        break;
      case 'm':
      case 'M':
        this.toggleMute();
        break;
      case 'c':
      case 'C':
        if (!this.toggleCaptions()) return;
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  // ---- internals ----

  private loadSource(url: string | null): void {
    const key = url ?? '';
    if (!this.loader || key === this.loadedKey) return;
    this.loadedKey = key;
    this.error.set(null);
    this.time.set(0);
    this.duration.set(Number.NaN);
    this.buffered.set([]);
    this.engine.mediaChanged();
    void this.loader.load(url);
  }

  private listen(video: HTMLVideoElement): void {
    const updateTime = () => this.time.set(video.currentTime);
    const updateBuffered = () => {
      const ranges: Range[] = [];
      for (let i = 0; i < video.buffered.length; i++) {
        ranges.push({ start: video.buffered.start(i), end: video.buffered.end(i) });
      }
      this.buffered.set(ranges);
    };
    const handlers: Record<string, () => void> = {
      timeupdate: () => {
        updateTime();
        updateBuffered();
      },
      seeked: updateTime,
      progress: updateBuffered,
      durationchange: () => this.duration.set(video.duration),
      loadedmetadata: () => this.duration.set(video.duration),
      waiting: () => this.waiting.set(true),
      playing: () => this.waiting.set(false),
      canplay: () => this.waiting.set(false),
    };
    for (const [event, handler] of Object.entries(handlers)) video.addEventListener(event, handler);
  }

  private async fetchText(url: string): Promise<string> {
    const response = await this.injector.get(FETCH)(url, { signal: AbortSignal.timeout(SUBTITLE_FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.text();
  }

  private clampTime(seconds: number): number {
    const max = this.seekable() ? this.totalDuration() : Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(max, seconds));
  }

  private pct(seconds: number): number {
    return this.seekable() ? Math.min(100, Math.max(0, (seconds / this.totalDuration()) * 100)) : 0;
  }
}
