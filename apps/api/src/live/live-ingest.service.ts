import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { HandshakeErrorCode } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaImporter } from '../media/media-importer';
import { type RefusalReason, Refusals } from '../ops/refusals';
import { LiveEncoder, type Packager } from './live-encoder';
import { isStreamKey, keyHash, keyMatches } from './live-keys';
import { LocalPublication, type Publication, type PublicationHost, type PublisherKind } from './live-publication';
import { LiveStorage } from './live-storage';
import { LiveWatchHub } from './live-watch.hub';
import { LiveRepository } from './live.repository';

/** The publisher slot expires this long after its last heartbeat (its replica died). */
export const LOCK_TTL_MS = 6000;

/** Why a publisher was refused, as the ingest handshake reports it. */
export type LiveRefusalCode = Extract<HandshakeErrorCode, 'WRONG_STREAM_KEY' | 'SHOW_ENDED' | 'ALREADY_PUBLISHING' | 'LIVE_UNAVAILABLE' | 'SERVER_RESTARTING'>;

/** Why a publisher was refused; the message goes back to it (RTMP onStatus, connect_error), the code to clients that decide. */
export class LiveRefusal extends Error {
  constructor(
    readonly code: LiveRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

const refuse = {
  wrongKey: () => new LiveRefusal('WRONG_STREAM_KEY', 'wrong stream key'),
  ended: () => new LiveRefusal('SHOW_ENDED', 'this show has ended; create a new show to go live again'),
  unavailable: () => new LiveRefusal('LIVE_UNAVAILABLE', 'live streaming is unavailable: ffmpeg is not installed on the server'),
  publishing: () => new LiveRefusal('ALREADY_PUBLISHING', 'this stream key is already publishing; stop the other stream first'),
  restarting: () => new LiveRefusal('SERVER_RESTARTING', 'server restarting; publish again in a moment'),
};

/**
 * Publishing (RTMP and browser alike): a stream key takes the show's one publisher slot across
 * replicas (a Redis lock kept by heartbeats), each connection gets a packager run, and this
 * replica's publications are tracked so ending, sweeping and shutting down can reach them.
 */
@Injectable()
export class LiveIngest implements PublicationHost {
  private readonly logger = new Logger('Live');
  /** Publications on this replica, by show. */
  private readonly local = new Map<string, LocalPublication>();
  private stopping = false;

  constructor(
    private readonly repo: LiveRepository,
    private readonly storage: LiveStorage,
    private readonly media: MediaImporter,
    private readonly encoder: LiveEncoder,
    private readonly clock: Clock,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** Sub-second delivery over /live-watch; absent in unit tests of the show lifecycle. */
    @Optional() private readonly watch?: LiveWatchHub,
  ) {}

  /** Validates a stream key and takes the show's one publisher slot; throws LiveRefusal. */
  async openPublisher(key: unknown, kind: PublisherKind, inputLeadMs: number, remoteAddress: string): Promise<Publication> {
    if (this.stopping) throw refuse.restarting();
    const given = isStreamKey(key) ? key : null;
    const id = given ? await this.repo.idForKeyHash(keyHash(given)) : null;
    const record = id ? await this.repo.get(id) : null;
    if (!given || !record || !keyMatches(given, record.keyHash)) throw refuse.wrongKey();
    if (record.status === 'ended') throw refuse.ended();
    if (!this.media.transcodingAvailable) throw refuse.unavailable();
    const owner = newId();
    if (!(await this.repo.claimPublisher(record.id, owner, LOCK_TTL_MS))) throw refuse.publishing();
    try {
      // A previous packager of this show may still be flushing on this replica.
      await this.local.get(record.id)?.stopped;
      const dir = await this.storage.prepare(record.id);
      const run = record.runs + 1;
      const startNumber = await this.storage.nextSegmentNumber(record.id);
      const now = this.clock.now();
      const updated = await this.repo.update(
        record.id,
        { status: 'live', startedAt: record.startedAt ?? new Date(now).toISOString(), runs: run, lastPublisherAt: now, outputFps: null },
        ['scheduled', 'live'],
      );
      if (!updated) throw refuse.ended();
      const publication = new LocalPublication(this, this.clock, { showId: record.id, owner, kind, run, startNumber, inputLeadMs, dir, remoteAddress });
      this.local.set(record.id, publication);
      this.logger.log(`show ${record.id}: ${kind} publisher connected (run ${run})`);
      return publication;
    } catch (err) {
      await this.repo.releasePublisher(record.id, owner);
      throw err;
    }
  }

  /** A publisher of the show is connected to this replica. */
  isLocal(id: string): boolean {
    return this.local.has(id);
  }

  /** Settles once this replica's packager of the show (if any) has exited. */
  async localStopped(id: string): Promise<void> {
    await this.local.get(id)?.stopped;
  }

  /** Cuts this replica's publisher of the show, if any. */
  async stopLocal(id: string, reason: string): Promise<void> {
    await this.local.get(id)?.stop(reason);
  }

  /** Shutting down: new publishers are refused from now on (SERVER_RESTARTING). */
  refuseNew(): void {
    this.stopping = true;
  }

  /** Shutting down: new publishers are refused, this replica's are cut. */
  async stopAll(reason: string): Promise<void> {
    this.refuseNew();
    await Promise.all([...this.local.values()].map((p) => p.stop(reason)));
  }

  // ---- PublicationHost ----

  get maxIngestKbps(): number {
    return this.config.limits.liveMaxKbps;
  }

  startPackager(p: LocalPublication): Packager {
    return this.encoder.startPackager({
      dir: p.dir,
      input: p.kind === 'rtmp' ? 'flv' : 'probe',
      run: p.run,
      startNumber: p.startNumber,
      inputLeadMs: p.inputLeadMs,
      onReady: (offsetMs) => void this.packagerReady(p, offsetMs).catch((err: Error) => this.logger.warn(`show ${p.showId}: ${err.message}`)),
      onExit: (code, stderr) => p.onPackagerExit(code, stderr),
      onInit: (init) => this.watch?.publishInit(p.showId, init.codecs, init.data),
      onFragment: (f) => this.watch?.publishFragment(p.showId, f.data, f.keyframe, f.wallclock),
    });
  }

  /** Also brings the output frame rate to every replica's health (no extra write). */
  async heartbeat(p: LocalPublication): Promise<'ok' | 'ended' | 'lost'> {
    if (!(await this.repo.refreshPublisher(p.showId, p.owner, LOCK_TTL_MS))) return 'lost';
    const r = await this.repo.update(p.showId, { lastPublisherAt: this.clock.now(), outputFps: p.outputFps() }, ['live']);
    return r ? 'ok' : 'ended';
  }

  async released(p: LocalPublication): Promise<void> {
    if (this.local.get(p.showId) === p) this.local.delete(p.showId);
    await this.repo.update(p.showId, { lastPublisherAt: this.clock.now() }, ['live']).catch(() => null);
    await this.repo.releasePublisher(p.showId, p.owner).catch(() => undefined);
  }

  log(message: string): void {
    this.logger.log(message);
  }

  refused(reason: RefusalReason, offender: string, detail: string): void {
    this.refusals.record(reason, offender, detail);
  }

  /** The first segment of a run is listed: HLS is served, with its PROGRAM-DATE-TIME correction. */
  private async packagerReady(p: LocalPublication, offsetMs: number) {
    const r = await this.repo.get(p.showId);
    if (!r) return;
    const pdt = [...r.pdt.filter((f) => f.fromSeq < p.startNumber).slice(-3), { fromSeq: p.startNumber, offsetMs }];
    await this.repo.update(p.showId, { hlsReady: true, pdt }, ['live']);
  }
}
