import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaImporter } from '../media/media-importer';
import { LiveEncoder } from './live-encoder';
import { LiveIngest } from './live-ingest.service';
import { LiveStorage } from './live-storage';
import { LiveThumbnails } from './live-thumbnails';
import { type LiveRecord, LiveRepository } from './live.repository';

/** Ending waits for another replica's publisher to notice, checking this often, this many times. */
export const RELEASE_POLL_MS = 200;
export const RELEASE_POLLS = 50;

/**
 * What happens to a show's files once it ended: the playlist gets EXT-X-ENDLIST, the recording
 * parts are joined and imported into the library (`recordingMediaId` is set as soon as that is
 * done), and the live files are removed LIVE_ENDED_LINGER_MS after the end (players polling the
 * ended playlist learn the end meanwhile).
 */
@Injectable()
export class LiveRecorder {
  private readonly logger = new Logger('Live');
  /** Wrap-ups in flight (shutdown waits a little for them). */
  private readonly finishing = new Set<Promise<void>>();

  constructor(
    private readonly repo: LiveRepository,
    private readonly storage: LiveStorage,
    private readonly ingest: LiveIngest,
    private readonly encoder: LiveEncoder,
    private readonly media: MediaImporter,
    private readonly thumbnails: LiveThumbnails,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts wrapping up a show that just ended (once per show: the caller won the end). */
  wrapUp(r: LiveRecord): void {
    const job = this.finish(r).catch((err: Error) => this.logger.warn(`show ${r.id}: recording failed: ${err.message}`));
    this.finishing.add(job);
    void job.finally(() => this.finishing.delete(job));
  }

  /** Waits for the wrap-ups in flight, at most `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    await Promise.race([Promise.all([...this.finishing]), this.clock.sleep(graceMs)]);
  }

  private async finish(r: LiveRecord) {
    const endedAt = this.clock.now();
    await this.ingest.localStopped(r.id);
    // Another replica's publisher notices the end at its next heartbeat.
    for (let i = 0; i < RELEASE_POLLS && (await this.repo.publisherHeld(r.id)); i++) await this.clock.sleep(RELEASE_POLL_MS);
    // Players see EXT-X-ENDLIST and stop cleanly instead of failing on a vanished playlist.
    await this.storage.endPlaylist(r.id).catch((err: Error) => this.logger.warn(`show ${r.id}: could not end the playlist: ${err.message}`));
    const parts = await this.storage.recordingParts(r.id);
    if (parts === null) return; // nothing was ever published
    const recordingMediaId = parts.length > 0 ? await this.record(r, parts) : null;
    if (recordingMediaId) {
      await this.repo.update(r.id, { recordingMediaId });
      this.logger.log(`show ${r.id}: recording is media ${recordingMediaId}`);
    }
    // The ended playlist stays served a while (players poll it to learn the end), then the live files go.
    const linger = endedAt + this.config.liveEndedLingerMs - this.clock.now();
    if (linger > 0) await this.clock.sleep(linger);
    await this.storage.remove(r.id);
    this.thumbnails.forget(r.id);
  }

  /** Joins the parts and imports the result; the new library item's id, or null (logged) when either fails. */
  private async record(r: LiveRecord, parts: string[]): Promise<string | null> {
    const output = this.storage.recordingPath(r.id);
    try {
      await this.encoder.joinRecording(parts, output);
    } catch (err) {
      this.logger.warn(`show ${r.id}: could not assemble the recording (${(err as Error).message})`);
      return null;
    }
    try {
      return (await this.media.importFile(output, r.title)).id;
    } catch (err) {
      this.logger.warn(`show ${r.id}: recording not imported: ${(err as Error).message}`);
      return null;
    }
  }
}
