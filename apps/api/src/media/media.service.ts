import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type BeforeApplicationShutdown,
  type OnModuleInit,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ID_PATTERN, type Media } from '@watch-party/contracts';
import type { Request } from 'express';
import { open, stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Metrics } from '../ops/metrics';
import { Broadcaster } from '../sync/broadcaster';
import { JobQueue } from './job-queue';
import { chooseLadder } from './ladder';
import { type MediaRecord, MediaRepository } from './media.repository';
import { MediaStorage, originalFileName, titleFromFileName } from './media-storage';
import { Transcoder } from './transcoder';
import { receiveUpload, UploadError } from './upload';

/** Progress is written and announced at most this often per job. */
const PROGRESS_EVERY_MS = 500;

@Injectable()
export class MediaService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Media');
  private transcoding = false;

  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly transcoder: Transcoder,
    private readonly jobs: JobQueue,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onModuleInit() {
    await this.storage.init();
    this.transcoding = await this.transcoder.available();
    if (!this.transcoding) {
      this.logger.warn('ffmpeg/ffprobe not found: uploads are served as files, without HLS');
    }
    await this.jobs.start((id, signal) => this.transcode(id, signal));
  }

  /** Before Redis connections close: BullMQ must stop using them first. */
  async beforeApplicationShutdown() {
    await this.jobs.close();
  }

  get transcodingAvailable(): boolean {
    return this.transcoding;
  }

  async upload(req: Request): Promise<Media> {
    const incoming = this.storage.newIncomingPath();
    let file;
    try {
      file = await receiveUpload(req, incoming, this.config.maxUploadBytes);
    } catch (err) {
      if (err instanceof UploadError) throw new HttpException(err.message, err.status);
      throw err;
    }
    try {
      return await this.adoptFile(file.path, file.clientName, file.sizeBytes, titleFromFileName(file.clientName));
    } catch (err) {
      await unlink(file.path).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A video file already under MEDIA_DIR (a live show's recording) becomes a library item:
   * probed, moved into storage, recorded, and transcoded like an upload. 415 when not a video.
   */
  async importFile(path: string, title: string): Promise<Media> {
    const { size } = await stat(path);
    return this.adoptFile(path, basename(path), size, title.slice(0, 120));
  }

  private async adoptFile(path: string, clientName: string, sizeBytes: number, title: string): Promise<Media> {
    const probe = this.transcoding ? await this.transcoder.probe(path) : await sniffVideo(path);
    if (!probe) throw new UnsupportedMediaTypeException('this file is not a video we can decode');
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
    };
    await this.storage.adopt(path, id, name);
    await this.repo.insert(record);
    if (this.transcoding) await this.jobs.enqueue(id);
    return this.toPublic(record);
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

  /** Forget the item first (a running job notices), stop its ffmpeg, then remove its files. */
  async delete(id: string): Promise<void> {
    await this.require(id);
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
    };
  }

  private async transcode(id: string, signal: AbortSignal): Promise<void> {
    const record = await this.repo.get(id);
    if (!record || record.status !== 'processing' || !record.source) return;
    const input = this.storage.originalPath(id, record.originalName);
    const probe = record.source;
    const rungs = chooseLadder(probe.height, probe.hasAudio);
    const duration = probe.durationSec ?? 0;
    const abort = new AbortController();
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    let lastWrite = 0;
    let playable = false;
    let writing = Promise.resolve();

    const patch = async (p: Partial<MediaRecord>) => {
      const next = await this.repo.update(id, p);
      if (!next) abort.abort(); // deleted meanwhile, maybe from another replica
      else this.broadcaster.toAll('media:progress', { id, progress: next.progress, status: next.status });
      return next;
    };

    this.metrics.transcodesRunning.inc();
    try {
      const posterAt = Math.min(2, duration / 3);
      if (await this.transcoder.poster(input, this.storage.posterPath(id), posterAt)) await patch({ hasPoster: true });
      await this.transcoder.transcodeHls(
        input,
        this.storage.hlsDir(id),
        rungs,
        probe,
        (outSeconds) => {
          const now = this.clock.now();
          if (now - lastWrite < PROGRESS_EVERY_MS) return;
          lastWrite = now;
          writing = writing.then(async () => {
            if (!playable) playable = await this.storage.hlsPlayable(id);
            const progress = duration > 0 ? Math.min(0.99, outSeconds / duration) : 0;
            await patch({ progress: Math.round(progress * 1000) / 1000, ...(playable ? { hlsPlayable: true } : {}) });
          });
        },
        abort.signal,
      );
      await writing;
      await this.storage.finalizePlaylists(id, rungs.length);
      await patch({ status: 'ready', progress: 1, hlsPlayable: true });
      this.metrics.transcodeJobs.inc({ result: 'ready' });
    } catch (err) {
      await writing.catch(() => undefined);
      if (abort.signal.aborted || !(await this.repo.get(id))) {
        await this.storage.remove(id); // deleted while encoding: leave nothing behind
        this.metrics.transcodeJobs.inc({ result: 'cancelled' });
        return;
      }
      this.metrics.transcodeJobs.inc({ result: 'failed' });
      this.logger.warn(`transcode ${id} failed: ${(err as Error).message}`);
      await patch({ status: 'failed', error: 'transcoding failed; the original file is still available' });
    } finally {
      this.metrics.transcodesRunning.dec();
    }
  }
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
