import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type BeforeApplicationShutdown,
  type OnModuleInit,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  checkWebVtt,
  decodeSubtitleText,
  describeZodError,
  ID_PATTERN,
  MAX_SUBTITLE_TRACKS,
  type Media,
  SUBTITLE_LABEL_MAX,
  subtitleFieldsSchema,
  subtitleFileToWebVtt,
  SubtitleFormatError,
  type SubtitleTrack,
  type UploadedMedia,
} from '@watch-party/contracts';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { basename } from 'node:path';
import { AdminService } from '../admin/admin.service';
import { bearerToken, matchesHash, sha256 } from '../common/bearer';
import { Clock } from '../common/clock';
import { TooManyRequestsException } from '../common/http-errors';
import { newId } from '../common/ids';
import { KeyedQueue } from '../common/keyed-queue';
import { RateLimiter } from '../limits/rate-limiter';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Metrics } from '../ops/metrics';
import { Refusals } from '../ops/refusals';
import { Broadcaster } from '../realtime/broadcaster';
import { JobQueue } from './job-queue';
import { chooseLadder, hlsLayout, layoutVariants } from './ladder';
import { type MediaPatch, type MediaRecord, MediaRepository, type SubtitleRecord } from './media.repository';
import { MediaStorage, originalFileName, titleFromFileName } from './media-storage';
import type { MediaCatalog } from './media-catalog';
import type { MediaImporter } from './media-importer';
import { checkSource, fewFrames, MIN_VIDEO_FRAMES, type SourceRefusal } from './source-caps';
import { type ProbeResult, type SubtitleStream, Transcoder } from './transcoder';
import { type ReceivedFile, receiveUpload, UploadError, type UploadRequest } from './upload';

/** Progress is written and announced at most this often per job. */
const PROGRESS_EVERY_MS = 500;
/** UPLOADS_PER_HOUR counts attempts in windows of this length. */
const UPLOAD_WINDOW_MS = 60 * 60_000;
/** The longest delay a timer takes (about 24.8 days); longer job limits wait this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Owner keys: 192 random bits, shown once at upload; only their sha256 is kept. */
const OWNER_KEY_BYTES = 24;
/** English names for extracted tracks that carry only a language tag. */
const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

@Injectable()
export class MediaService implements MediaCatalog, MediaImporter, OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Media');
  private transcoding = false;
  /** Serializes this replica's last quota check with the insert it allows. */
  private readonly library = new KeyedQueue();
  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly transcoder: Transcoder,
    private readonly jobs: JobQueue,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly limiter: RateLimiter,
    private readonly refusals: Refusals,
    private readonly admin: AdminService,
  ) {}

  async onModuleInit() {
    await this.storage.init();
    this.transcoding = await this.transcoder.available();
    if (!this.transcoding) {
      this.logger.warn('ffmpeg/ffprobe not found: uploads are served as files, without HLS');
    }
    await this.jobs.start((id, signal) => this.transcode(id, signal));
    if (!this.jobs.durable) await this.resumeInterrupted();
  }

  /** Before Redis connections close: BullMQ must stop using them first. */
  async beforeApplicationShutdown() {
    this.storage.close();
    await this.jobs.close();
  }

  /**
   * The in-process queue died with the previous process: items it left `processing` start
   * over (partial HLS removed, progress reset), or become plain files without ffmpeg.
   */
  private async resumeInterrupted() {
    const interrupted = (await this.repo.list()).filter((r) => r.status === 'processing').reverse();
    for (const r of interrupted) {
      await this.storage.removeHls(r.id);
      const again = this.transcoding && r.source !== null;
      const next = await this.repo.update(r.id, again ? { progress: 0, hlsPlayable: false } : { status: 'ready', progress: 1, hlsPlayable: false });
      if (next && again) await this.jobs.enqueue(r.id);
    }
    if (interrupted.length > 0) this.logger.warn(`${interrupted.length} transcode job(s) interrupted by the last stop: started again`);
  }

  get transcodingAvailable(): boolean {
    return this.transcoding;
  }

  /**
   * PUBLISH_POLICY, UPLOADS_PER_HOUR (every attempt counts: refused ones cost CPU too; the
   * admin is not limited) and a quota that is already used up are all checked before a byte
   * of the body is read. The answer carries the item's owner key, the only time it is shown.
   */
  async upload(req: UploadRequest): Promise<UploadedMedia> {
    const ip = req.ip ?? 'unknown';
    this.admin.requirePublisher(req.headers, 'uploading a video');
    if (!this.admin.isAdmin(req.headers)) {
      const perHour = this.config.limits.uploadsPerHour;
      const attempts = await this.limiter.hit(`upload:${ip}`, UPLOAD_WINDOW_MS);
      if (attempts.count > perHour) {
        this.refusals.record('upload_rate', ip, `${attempts.count} uploads within the hour`);
        throw new TooManyRequestsException(`at most ${perHour} uploads per hour from one address (UPLOADS_PER_HOUR); try again later`, attempts.resetInMs);
      }
    }
    const file = await this.receive(req, ip, this.config.maxUploadBytes, 'video');
    const ownerKey = randomBytes(OWNER_KEY_BYTES).toString('base64url');
    try {
      const media = await this.adoptFile(file.path, file.clientName, file.sizeBytes, titleFromFileName(file.clientName), {
        offender: ip,
        ownerKeyHash: sha256(ownerKey).toString('hex'),
        withinQuota: true,
      });
      return { ...media, ownerKey };
    } catch (err) {
      await unlink(file.path).catch(() => undefined);
      throw err;
    }
  }

  /** The multipart body's file into `.incoming`, within the size limit and the quota; refusals counted. */
  private async receive(req: UploadRequest, ip: string, maxBytes: number, noun: string): Promise<ReceivedFile> {
    const quota = this.config.mediaQuotaBytes;
    let allowance: { allowedBytes: number; message: string } | null = null;
    if (quota !== null) {
      const used = await this.libraryBytes();
      allowance = { allowedBytes: Math.max(0, quota - used), message: overQuota(quota, used) };
    }
    try {
      return await receiveUpload(req, this.storage.newIncomingPath(), { maxBytes, quota: allowance, idleTimeoutMs: this.config.limits.uploadIdleTimeoutMs, noun });
    } catch (err) {
      if (!(err instanceof UploadError)) throw err;
      if (err.kind === 'aborted') this.refusals.record('upload_aborted', ip, 'the connection closed before the upload ended');
      if (err.kind === 'stalled') this.refusals.record('upload_stalled', ip, err.message);
      if (err.kind === 'too_large') this.refusals.record('upload_too_large', ip, err.message);
      if (err.kind === 'over_quota') this.refusals.record('media_quota', ip, err.message);
      throw new HttpException(err.message, err.status);
    }
  }

  /**
   * A video file already under MEDIA_DIR (a live show's recording) becomes a library item:
   * probed, moved into storage, recorded, and transcoded like an upload. 415 when not a video
   * or past a source cap, like an upload. It has no owner key: only the admin manages it; it
   * counts towards MEDIA_QUOTA_BYTES but is never refused for it (the show already happened).
   */
  async importFile(path: string, title: string): Promise<Media> {
    const { size } = await stat(path);
    return this.adoptFile(path, basename(path), size, title.slice(0, 120), { offender: 'live recording', withinQuota: false });
  }

  private async adoptFile(
    path: string,
    clientName: string,
    sizeBytes: number,
    title: string,
    opts: { offender: string; ownerKeyHash?: string; withinQuota: boolean },
  ): Promise<Media> {
    const { offender } = opts;
    const probe = this.transcoding ? await this.inspect(path, offender) : await sniffVideo(path);
    if (!probe) {
      const message = 'this file is not a video we can decode';
      this.refusals.record('media_not_video', offender, message);
      throw new UnsupportedMediaTypeException(message);
    }
    const id = newId();
    const { name, contentType } = originalFileName(clientName);
    const record: MediaRecord = {
      id,
      title,
      status: this.transcoding ? 'processing' : 'ready',
      progress: this.transcoding ? 0 : 1,
      durationSec: probe === true ? null : probe.durationSec,
      renditions: probe === true ? [] : chooseLadder(probe.height, probe.hasAudio).map(({ height, bandwidth }) => ({ height, bandwidth })),
      originalName: name,
      contentType,
      sizeBytes,
      hlsPlayable: false,
      hasPoster: false,
      createdAt: new Date(this.clock.now()).toISOString(),
      source: probe === true ? null : probe,
      ...(opts.ownerKeyHash ? { ownerKeyHash: opts.ownerKeyHash } : {}),
      ...(this.transcoding ? {} : { diskBytes: sizeBytes }),
    };
    // Uploads that finished meanwhile count: checked again, one insert at a time.
    await this.library.run('insert', async () => {
      const quota = this.config.mediaQuotaBytes;
      if (opts.withinQuota && quota !== null) {
        const used = await this.libraryBytes();
        if (used + sizeBytes > quota) {
          const message = overQuota(quota, used);
          this.refusals.record('media_quota', offender, message);
          throw new HttpException(message, HttpStatus.INSUFFICIENT_STORAGE);
        }
      }
      await this.storage.adopt(path, id, name);
      await this.repo.insert(record);
    });
    if (this.transcoding) await this.jobs.enqueue(id);
    return this.toPublic(record);
  }

  /**
   * What the library holds on disk: each item's folder as measured when its job ended, or its
   * original while it is processing. Items recorded before sizes were kept are measured once.
   */
  private async libraryBytes(): Promise<number> {
    let total = 0;
    for (const r of await this.repo.list()) {
      if (r.status === 'processing') total += r.sizeBytes;
      else if (r.diskBytes !== undefined) total += r.diskBytes;
      else {
        const bytes = await this.storage.itemBytes(r.id);
        await this.repo.update(r.id, { diskBytes: bytes });
        total += bytes;
      }
    }
    return total;
  }

  /**
   * Probes a source and applies the caps: headers first (cheap, and before any frame of a huge
   * picture is decoded), then at least MIN_VIDEO_FRAMES frames must really decode. Refusals
   * are 415, counted and logged; null when ffprobe finds no picture stream at all.
   */
  private async inspect(path: string, offender: string): Promise<ProbeResult | null> {
    const probe = await this.transcoder.probe(path);
    if (!probe) return null;
    let refusal: SourceRefusal | null = checkSource(probe, this.config.limits);
    if (!refusal) {
      const decoded = await this.transcoder.decodableFrames(path, probe, MIN_VIDEO_FRAMES);
      if (decoded < MIN_VIDEO_FRAMES) refusal = fewFrames(decoded);
    }
    if (refusal) {
      this.refusals.record(refusal.reason, offender, refusal.message);
      throw new UnsupportedMediaTypeException(refusal.message);
    }
    return probe;
  }

  async list(): Promise<Media[]> {
    return (await this.repo.list()).map((r) => this.toPublic(r));
  }

  async get(id: string): Promise<Media> {
    return this.toPublic(await this.require(id));
  }

  async find(id: string): Promise<Media | null> {
    const r = ID_PATTERN.test(id) ? await this.repo.get(id) : null;
    return r ? this.toPublic(r) : null;
  }

  async require(id: string): Promise<MediaRecord> {
    const r = ID_PATTERN.test(id) ? await this.repo.get(id) : null;
    if (!r) throw new NotFoundException('media not found');
    return r;
  }

  /**
   * 404 for an unknown item, then 401 without a bearer credential, then 403 unless it is the
   * item's owner key or the admin token. Items without an owner key (live recordings, uploads
   * from before owner keys) are the admin's alone.
   */
  async authorize(id: string, headers: IncomingHttpHeaders, what: string): Promise<MediaRecord> {
    const r = await this.require(id);
    const key = bearerToken(headers);
    if (key === null) throw new UnauthorizedException(`${what} needs the item's owner key or the admin token (Authorization: Bearer <key>)`);
    if (this.admin.isAdmin(headers)) return r;
    if (r.ownerKeyHash && matchesHash(key, Buffer.from(r.ownerKeyHash, 'hex'))) return r;
    throw new ForbiddenException(
      r.ownerKeyHash ? `this key does not own this item: ${what} needs its owner key or the admin token` : `only the admin may manage this item (${what})`,
    );
  }

  /**
   * A .srt or .vtt file becomes a WebVTT track of the item. Who may: anyone under
   * PUBLISH_POLICY=open (limited by UPLOADS_PER_HOUR, counted apart from videos); under
   * `admin`, the admin token or the item's owner key. The item, the policy, the rate and
   * MAX_SUBTITLE_TRACKS are checked before the body is read; nothing is kept from a refused file.
   */
  async addSubtitle(id: string, req: UploadRequest): Promise<SubtitleTrack> {
    const ip = req.ip ?? 'unknown';
    const r = await this.require(id);
    const admin = this.admin.isAdmin(req.headers);
    if (!admin && !this.ownsItem(r, req.headers)) this.admin.requirePublisher(req.headers, 'adding subtitles');
    if (!admin) {
      const perHour = this.config.limits.uploadsPerHour;
      const attempts = await this.limiter.hit(`subtitles:${ip}`, UPLOAD_WINDOW_MS);
      if (attempts.count > perHour) {
        this.refusals.record('upload_rate', ip, `${attempts.count} subtitle uploads within the hour`);
        throw new TooManyRequestsException(`at most ${perHour} subtitle uploads per hour from one address (UPLOADS_PER_HOUR); try again later`, attempts.resetInMs);
      }
    }
    assertRoomForTrack(r);
    const file = await this.receive(req, ip, this.config.limits.subtitleMaxBytes, 'subtitle file');
    try {
      // A form's empty language field means none.
      const fields = subtitleFieldsSchema.safeParse({ label: file.fields['label'], lang: file.fields['lang']?.trim() || undefined });
      if (!fields.success) throw new BadRequestException(describeZodError(fields.error));
      let vtt: string;
      try {
        vtt = subtitleFileToWebVtt(await readFile(file.path), file.clientName);
      } catch (err) {
        if (!(err instanceof SubtitleFormatError)) throw err;
        throw err.status === 415 ? new UnsupportedMediaTypeException(err.message) : new BadRequestException(err.message);
      }
      const track: SubtitleRecord = { id: newId(), label: fields.data.label, lang: fields.data.lang ?? null, bytes: Buffer.byteLength(vtt) };
      await this.storage.writeSubtitle(id, track.id, vtt);
      try {
        await this.appendTracks(id, [track], true);
      } catch (err) {
        await this.storage.removeSubtitle(id, track.id).catch(() => undefined);
        throw err;
      }
      await this.announceChanged(id);
      return this.toPublicTrack(id, track);
    } finally {
      await unlink(file.path).catch(() => undefined);
    }
  }

  /** Owner key or admin token, like deleting the item; the file goes too. */
  async deleteSubtitle(id: string, trackId: string, headers: IncomingHttpHeaders): Promise<void> {
    await this.authorize(id, headers, 'deleting a subtitle track');
    await this.library.run(`subtitles:${id}`, async () => {
      const r = await this.require(id);
      const track = r.subtitles?.find((t) => t.id === trackId);
      if (!track || !r.subtitles) throw new NotFoundException('no such subtitle track');
      const next = await this.repo.update(id, { subtitles: r.subtitles.filter((t) => t !== track), ...diskBytesAfter(r, -track.bytes) });
      if (!next) throw new NotFoundException('media not found');
      await this.storage.removeSubtitle(id, trackId);
    });
    await this.announceChanged(id);
  }

  /** Players showing the item re-read it on a `media:progress` of a ready item (new subtitle tracks). */
  private async announceChanged(id: string): Promise<void> {
    const r = await this.repo.get(id);
    if (r) this.broadcaster.toAll('media:progress', { id, progress: r.progress, status: r.status });
  }

  /** The stored track whose file `GET <url>` serves; 404 for an unknown item or track. */
  async requireSubtitle(id: string, trackId: string): Promise<string> {
    const r = await this.require(id);
    if (!r.subtitles?.some((t) => t.id === trackId)) throw new NotFoundException('no such subtitle track');
    return this.storage.subtitlePath(id, trackId);
  }

  /**
   * Adds tracks to the record, one change per item at a time on this replica (a merge would
   * otherwise let two adds overwrite each other's list). `strict`: 409 past MAX_SUBTITLE_TRACKS.
   */
  private async appendTracks(id: string, tracks: SubtitleRecord[], strict: boolean): Promise<void> {
    await this.library.run(`subtitles:${id}`, async () => {
      const r = await this.require(id);
      if (strict) assertRoomForTrack(r);
      const room = MAX_SUBTITLE_TRACKS - (r.subtitles?.length ?? 0);
      const added = tracks.slice(0, Math.max(0, room));
      const bytes = added.reduce((sum, t) => sum + t.bytes, 0);
      const next = await this.repo.update(id, { subtitles: [...(r.subtitles ?? []), ...added], ...diskBytesAfter(r, bytes) });
      if (!next) throw new NotFoundException('media not found');
    });
  }

  private ownsItem(r: MediaRecord, headers: IncomingHttpHeaders): boolean {
    const key = bearerToken(headers);
    return key !== null && r.ownerKeyHash !== undefined && matchesHash(key, Buffer.from(r.ownerKeyHash, 'hex'));
  }

  /**
   * The file's text subtitle streams become tracks (once per item: a restarted job keeps
   * those it made). ffmpeg failing, or a stream without cues, only loses tracks: logged.
   */
  private async extractSubtitles(id: string, record: MediaRecord, input: string, signal: AbortSignal): Promise<void> {
    const streams = Array.isArray(record.source?.subtitles) ? record.source.subtitles : [];
    if (streams.length === 0 || record.subtitles?.some((t) => t.stream !== undefined)) return;
    const room = MAX_SUBTITLE_TRACKS - (record.subtitles?.length ?? 0);
    const wanted = streams.slice(0, Math.max(0, room)).map((stream, n) => ({ stream, n, trackId: newId() }));
    if (wanted.length === 0) return;
    const removeAll = () => Promise.all(wanted.map((w) => this.storage.removeSubtitle(id, w.trackId).catch(() => undefined)));
    try {
      await this.transcoder.extractSubtitles(
        input,
        wanted.map((w) => ({ stream: w.stream.index, output: this.storage.subtitlePath(id, w.trackId) })),
        signal,
      );
    } catch (err) {
      await removeAll();
      if (signal.aborted) throw err;
      this.logger.warn(`subtitles of ${id} were not extracted: ${(err as Error).message}`);
      return;
    }
    const tracks: SubtitleRecord[] = [];
    for (const w of wanted) {
      const path = this.storage.subtitlePath(id, w.trackId);
      try {
        const vtt = checkWebVtt(decodeSubtitleText(await readFile(path)));
        tracks.push({ id: w.trackId, label: streamLabel(w.stream, w.n), lang: w.stream.language, stream: w.stream.index, bytes: Buffer.byteLength(vtt) });
      } catch (err) {
        await this.storage.removeSubtitle(id, w.trackId).catch(() => undefined);
        this.logger.warn(`subtitle stream ${w.stream.index} of ${id} left out: ${(err as Error).message}`);
      }
    }
    if (tracks.length === 0) return;
    try {
      await this.appendTracks(id, tracks, false);
    } catch {
      await removeAll(); // the item was deleted meanwhile
    }
  }

  private toPublicTrack(id: string, t: SubtitleRecord): SubtitleTrack {
    return { id: t.id, label: t.label, lang: t.lang, url: `/api/media/${id}/subtitles/${t.id}.vtt` };
  }

  /** Only the title changes: a merge, so a progress write racing it loses nothing. */
  async rename(id: string, title: string, headers: IncomingHttpHeaders): Promise<Media> {
    await this.authorize(id, headers, 'renaming');
    const next = await this.repo.update(id, { title });
    if (!next) throw new NotFoundException('media not found');
    return this.toPublic(next);
  }

  /** Forget the item first (a running job notices), stop its ffmpeg, then remove its files. */
  async delete(id: string, headers: IncomingHttpHeaders): Promise<void> {
    await this.authorize(id, headers, 'deleting');
    await this.repo.delete(id);
    await this.jobs.cancel(id);
    await this.storage.remove(id);
  }

  toPublic(r: MediaRecord): Media {
    const base = `/api/media/${r.id}`;
    return {
      id: r.id,
      title: r.title,
      status: r.status,
      progress: r.progress,
      durationSec: r.durationSec,
      ...(r.error ? { error: r.error } : {}),
      renditions: r.renditions,
      fileUrl: `${base}/file`,
      hlsUrl: r.hlsPlayable ? `${base}/hls/master.m3u8` : null,
      posterUrl: r.hasPoster ? `${base}/poster.jpg` : null,
      createdAt: r.createdAt,
      sizeBytes: r.sizeBytes,
      subtitles: (Array.isArray(r.subtitles) ? r.subtitles : []).map((t) => this.toPublicTrack(r.id, t)),
    };
  }

  /**
   * One job: the ladder, lowest rung first; the item is playable (`hlsPlayable`, a master
   * listing what is ready) as soon as the lowest rung and the audio have their first segment,
   * and only then are the poster and the subtitle tracks made (beside the encode, off the path
   * to the first frame). Stopped (ffmpeg killed, partial HLS removed, item marked failed) after
   * max(TRANSCODE_TIMEOUT_MIN_SEC, TRANSCODE_TIMEOUT_FACTOR x duration) seconds.
   */
  private async transcode(id: string, signal: AbortSignal): Promise<void> {
    const record = await this.repo.get(id);
    if (!record || record.status !== 'processing' || !record.source) return;
    const input = this.storage.originalPath(id, record.originalName);
    const probe = record.source;
    const rungs = chooseLadder(probe.height, probe.hasAudio);
    const layout = hlsLayout(rungs.length, probe.hasAudio);
    const duration = probe.durationSec ?? 0;
    const limits = this.config.limits;
    const limitSec = Math.max(limits.transcodeTimeoutMinSec, limits.transcodeTimeoutFactor * duration);
    const abort = new AbortController();
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, Math.min(MAX_TIMER_MS, limitSec * 1000));
    let lastWrite = 0;
    let playable = false;
    let writing = Promise.resolve();
    /** Poster and subtitle tracks, once started; never rejects. */
    let sideWork: Promise<Error | null> | null = null;

    const patch = async (p: Partial<MediaRecord>) => {
      const next = await this.repo.update(id, p);
      if (!next) abort.abort(); // deleted meanwhile, maybe from another replica
      else this.broadcaster.toAll('media:progress', { id, progress: next.progress, status: next.status });
      return next;
    };
    // Our master (nominal bit rates, as renditions[] says) as soon as ffmpeg has written its own.
    const markPlayable = async (extra: Partial<MediaRecord> = {}) => {
      if (!playable) playable = (await this.storage.writeMaster(id, rungs, probe.fps, false, layout)) !== null && (await this.storage.hlsPlayable(id));
      if (playable || Object.keys(extra).length > 0) await patch({ ...extra, ...(playable ? { hlsPlayable: true } : {}) });
    };
    const startSideWork = () => {
      sideWork ??= (async () => {
        const posterAt = Math.min(2, duration / 3);
        if (await this.transcoder.poster(input, this.storage.posterPath(id), posterAt, abort.signal)) await patch({ hasPoster: true });
        if (abort.signal.aborted) throw new Error('stopped');
        await this.extractSubtitles(id, record, input, abort.signal);
        return null;
      })().catch((err: Error) => err);
      return sideWork;
    };

    this.metrics.transcodesRunning.inc();
    try {
      await this.transcoder.transcodeHls(
        input,
        this.storage.hlsDir(id),
        rungs,
        probe,
        ({ outSeconds, frames }) => {
          const now = this.clock.now();
          if (now - lastWrite < PROGRESS_EVERY_MS) return;
          lastWrite = now;
          // Sparse frame timing leaves the output clock at 0 for most of a job: frames tell more.
          const byTime = duration > 0 ? outSeconds / duration : 0;
          const byFrames = probe.frames ? frames / probe.frames : 0;
          const progress = Math.min(0.99, Math.max(byTime, byFrames));
          writing = writing.then(() => markPlayable({ progress: Math.round(progress * 1000) / 1000 }));
        },
        abort.signal,
        () => {
          writing = writing.then(() => markPlayable());
          void startSideWork(); // settles, never rejects: awaited before the job ends
        },
      );
      await writing;
      const sideError = await startSideWork();
      if (sideError) throw sideError;
      await this.storage.finalizePlaylists(id, Math.max(...layoutVariants(layout)) + 1);
      // The master rewritten with the bit rates measured from the segments; renditions[] follows it.
      const renditions = await this.storage.writeMaster(id, rungs, probe.fps, true, layout);
      if (!renditions) throw new Error('ffmpeg wrote no master playlist');
      await patch({ status: 'ready', progress: 1, hlsPlayable: true, renditions, diskBytes: await this.storage.itemBytes(id) });
      this.metrics.transcodeJobs.inc({ result: 'ready' });
    } catch (err) {
      await writing.catch(() => undefined);
      // Nothing may still be writing into the item's folder when it is cleaned up.
      await (sideWork ?? Promise.resolve(null));
      const exists = (await this.repo.get(id)) !== null;
      if (timedOut && exists) {
        await this.storage.removeHls(id);
        const reason = `transcoding was stopped after ${Math.round(limitSec)} s, the limit for this video (TRANSCODE_TIMEOUT_MIN_SEC, or TRANSCODE_TIMEOUT_FACTOR x its duration); the original file is still available`;
        this.refusals.record('transcode_timeout', `media ${id}`, reason);
        this.metrics.transcodeJobs.inc({ result: 'failed' });
        await patch({ status: 'failed', hlsPlayable: false, error: reason, diskBytes: await this.storage.itemBytes(id) });
        return;
      }
      if (!exists) {
        await this.storage.remove(id); // deleted while encoding: leave nothing behind
        this.metrics.transcodeJobs.inc({ result: 'cancelled' });
        return;
      }
      if (abort.signal.aborted) return; // shutting down: the item and its files stay for a retry
      // A failed encode still gets its poster (and tracks) when they were not made yet.
      if (!sideWork) await startSideWork();
      this.metrics.transcodeJobs.inc({ result: 'failed' });
      this.logger.warn(`transcode ${id} failed: ${(err as Error).message}`);
      await patch({ status: 'failed', error: 'transcoding failed; the original file is still available', diskBytes: await this.storage.itemBytes(id) });
    } finally {
      timer.cancel();
      this.metrics.transcodesRunning.dec();
    }
  }
}

function assertRoomForTrack(r: MediaRecord): void {
  if ((r.subtitles?.length ?? 0) >= MAX_SUBTITLE_TRACKS) {
    throw new ConflictException(`an item holds at most ${MAX_SUBTITLE_TRACKS} subtitle tracks: delete one first`);
  }
}

/** A finished item's measured size follows its tracks; a processing one is measured when its job ends. */
function diskBytesAfter(r: MediaRecord, delta: number): MediaPatch {
  return r.status !== 'processing' && r.diskBytes !== undefined ? { diskBytes: Math.max(0, r.diskBytes + delta) } : {};
}

/** The stream's title, else its language's name, else its position. */
function streamLabel(stream: SubtitleStream, n: number): string {
  let name: string | undefined;
  if (stream.language) {
    try {
      name = LANGUAGE_NAMES.of(stream.language);
    } catch {
      name = stream.language;
    }
  }
  return (stream.title ?? name ?? `Subtitles ${n + 1}`).slice(0, SUBTITLE_LABEL_MAX);
}

function overQuota(quota: number, used: number): string {
  return `the library would pass its storage quota of ${quota} bytes (MEDIA_QUOTA_BYTES; ${used} bytes in use): delete something first`;
}

/** Without ffprobe: accept only files that start like a video container. */
async function sniffVideo(path: string): Promise<true | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
    const isMp4 = head.toString('latin1', 4, 8) === 'ftyp';
    const isEbml = head.readUInt32BE(0) === 0x1a45dfa3;
    const isOgg = head.toString('latin1', 0, 4) === 'OggS';
    return isMp4 || isEbml || isOgg ? true : null;
  } finally {
    await fh.close();
  }
}
