import {
  type BeforeApplicationShutdown,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import {
  type CreatedLiveShow,
  type CreateLiveBody,
  type HandshakeErrorCode,
  ID_PATTERN,
  LIVE_INGEST_NAMESPACE,
  LIVE_LIMITS,
  LIVE_RTMP_APP,
  type LiveShow,
} from '@watch-party/contracts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Clock, type Timer } from '../common/clock';
import { newId } from '../common/ids';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaImporter } from '../media/media-importer';
import { type RefusalReason, Refusals } from '../ops/refusals';
import { BitrateMeter } from './bitrate-meter';
import { LiveEncoder, type Packager } from './live-encoder';
import { LiveParties } from './live-parties';
import { LiveWatchHub } from './live-watch.hub';
import { endLivePlaylist, nextSegmentNumber, PLAYLIST_NAME, readWindow, RECORDING_PART, SEGMENT_NAME } from './live-packager';
import { type LiveRecord, LiveRepository } from './live.repository';
import { RtmpServer, type RtmpPublishRequest, type RtmpSink } from './rtmp-server';

/** The publisher slot expires this long after its last heartbeat (its replica died). */
export const LOCK_TTL_MS = 6000;
/** A publisher refreshes its slot and `lastPublisherAt` this often. */
export const HEARTBEAT_MS = 2000;
/** A scheduled show nobody ever published to is closed after a day. */
export const SCHEDULED_TTL_MS = 24 * 60 * 60 * 1000;
/** The sweeper runs every half grace, within these bounds. */
const SWEEP_MIN_MS = 200;
const SWEEP_MAX_MS = 1000;
/** Shutdown waits this long for recordings being imported. */
const SHUTDOWN_GRACE_MS = 5000;
/** Ending waits for another replica's publisher to notice, checking this often, this many times. */
const RELEASE_POLL_MS = 200;
const RELEASE_POLLS = 50;
/** 32 random bytes, base64url. */
const STREAM_KEY_BYTES = 32;
const STREAM_KEY = /^[A-Za-z0-9_-]{43}$/;
/** A party name's length. */
const PARTY_NAME_MAX = 80;
/** `list` answers at most this many shows. */
const LIST_MAX = 100;
/** A client that fetched the live playlist this recently is watching (players poll every ~1 s). */
export const HLS_VIEWER_WINDOW_MS = 10_000;
/** A live show's card picture is grabbed again when older than this. */
export const THUMBNAIL_MAX_AGE_MS = 10_000;
const THUMBNAIL_NAME = 'thumb.jpg';

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

export type PublisherKind = 'rtmp' | 'browser';

/** A publisher in progress on this replica. */
export interface Publication {
  readonly showId: string;
  /** False when the publisher must be cut (over the bitrate cap, or ffmpeg can't keep up). */
  write(data: Buffer): boolean;
  /** The publisher is gone; the show ends if nobody publishes again within the grace. */
  close(): Promise<void>;
  /** Set by the transport: cut the publisher with a reason. */
  onKick(fn: (reason: string) => void): void;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest();

@Injectable()
export class LiveService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Live');
  private readonly root: string;
  private rtmp: RtmpServer | null = null;
  private sweeper: Timer | null = null;
  /** Publications on this replica, by show. */
  private readonly local = new Map<string, LocalPublication>();
  /** Thumbnail grabs in flight, per show (one ffmpeg at a time). */
  private readonly thumbnailJobs = new Map<string, Promise<boolean>>();
  /** When each show's picture was last grabbed on this replica (forgotten with the show's files). */
  private readonly thumbnailAt = new Map<string, number>();
  /** Recording imports in flight (shutdown waits a little for them). */
  private readonly finishing = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly repo: LiveRepository,
    private readonly parties: LiveParties,
    private readonly media: MediaImporter,
    private readonly encoder: LiveEncoder,
    private readonly clock: Clock,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** Sub-second delivery over /live-watch; absent in unit tests of the show lifecycle. */
    @Optional() private readonly watch?: LiveWatchHub,
  ) {
    this.root = resolve(config.mediaDir, 'live');
  }

  async onModuleInit() {
    const every = Math.max(SWEEP_MIN_MS, Math.min(SWEEP_MAX_MS, this.config.livePublisherGraceMs / 2));
    this.sweeper = this.clock.setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`sweep: ${err.message}`)), every);
    if (this.config.rtmpPort > 0) {
      const l = this.config.limits;
      const rtmp = new RtmpServer({
        limits: {
          maxConnections: l.rtmpMaxConnections,
          maxConnectionsPerAddress: l.rtmpMaxConnectionsPerAddress,
          publishTimeoutMs: l.rtmpPublishTimeoutMs,
          maxChunkStreams: l.rtmpMaxChunkStreams,
          maxMessageBytes: l.rtmpMaxMessageBytes,
          maxUnfinishedBytes: l.rtmpMaxUnfinishedBytes,
          maxUnfinishedBytesTotal: l.rtmpMaxUnfinishedBytesTotal,
        },
        onPublish: (req) => this.onRtmpPublish(req),
        onRefusal: (reason, address, detail) => this.refusals.record(reason, address, detail),
      });
      try {
        await rtmp.listen(this.config.rtmpPort, this.config.host);
        this.rtmp = rtmp;
      } catch (err) {
        this.logger.error(`RTMP ingest disabled: cannot listen on ${this.config.host}:${this.config.rtmpPort} (${(err as Error).message})`);
      }
    }
  }

  async beforeApplicationShutdown() {
    this.stopping = true;
    this.sweeper?.cancel();
    await this.rtmp?.close();
    await Promise.all([...this.local.values()].map((p) => p.stop('server shutting down')));
    const deadline = this.clock.sleep(SHUTDOWN_GRACE_MS);
    await Promise.race([Promise.all([...this.finishing]), deadline]);
  }

  get rtmpEnabled(): boolean {
    return this.rtmp !== null;
  }

  // ---- REST ----

  async create(body: CreateLiveBody, clientIp: string, host: string): Promise<CreatedLiveShow> {
    const id = newId();
    const streamKey = randomBytes(STREAM_KEY_BYTES).toString('base64url');
    const joined = await this.parties.open({ hostName: body.creatorName, name: body.title.slice(0, PARTY_NAME_MAX), showId: id }, clientIp);
    const record: LiveRecord = {
      id,
      title: body.title,
      creatorName: body.creatorName,
      status: 'scheduled',
      createdAt: new Date(this.clock.now()).toISOString(),
      startedAt: null,
      endedAt: null,
      sessionId: joined.session.id,
      creatorParticipantId: joined.participantId,
      keyHash: hashKey(streamKey).toString('hex'),
      hlsReady: false,
      runs: 0,
      lastPublisherAt: null,
      pdt: [],
    };
    await this.repo.insert(record);
    return {
      show: await this.toPublic(record),
      streamKey,
      ingest: { rtmpUrl: this.rtmpUrl(host), wsPath: LIVE_INGEST_NAMESPACE },
      participantId: joined.participantId,
      token: joined.token,
    };
  }

  /** Live first, then scheduled, then ended; newest first within each. */
  async list(): Promise<LiveShow[]> {
    const rank = { live: 0, scheduled: 1, ended: 2 } as const;
    const records = (await this.repo.list()).sort(
      (a, b) =>
        rank[a.status] - rank[b.status] ||
        (b.startedAt ?? b.createdAt).localeCompare(a.startedAt ?? a.createdAt),
    );
    return Promise.all(records.slice(0, LIST_MAX).map((r) => this.toPublic(r)));
  }

  async get(id: string): Promise<LiveShow> {
    return this.toPublic(await this.require(id));
  }

  async require(id: string): Promise<LiveRecord> {
    const r = ID_PATTERN.test(id) ? await this.repo.get(id) : null;
    if (!r) throw new NotFoundException('live show not found');
    return r;
  }

  /** The creator ends the show with its stream key. */
  async endByCreator(id: string, streamKey: string): Promise<LiveShow> {
    const r = await this.require(id);
    if (!keyMatches(streamKey, r.keyHash)) throw new ForbiddenException('wrong stream key');
    await this.end(id);
    return this.get(id);
  }

  /** The admin ends any show. */
  async endByAdmin(id: string): Promise<LiveShow> {
    await this.require(id);
    await this.end(id);
    return this.get(id);
  }

  showDir(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error('invalid show id');
    return join(this.root, id);
  }

  /**
   * The show's card picture: the first frame of its newest segment, grabbed at most every
   * THUMBNAIL_MAX_AGE_MS (one ffmpeg at a time per show); null unless live with video.
   */
  async thumbnail(id: string): Promise<string | null> {
    if (!ID_PATTERN.test(id)) return null;
    const r = await this.repo.get(id);
    if (!r || r.status !== 'live') return null;
    const dir = this.showDir(id);
    const out = join(dir, THUMBNAIL_NAME);
    const grabbedAt = this.thumbnailAt.get(id);
    if (grabbedAt !== undefined && this.clock.now() - grabbedAt < THUMBNAIL_MAX_AGE_MS) {
      if (await stat(out).then(() => true, () => false)) return out;
    }
    let pending = this.thumbnailJobs.get(id);
    if (!pending) {
      pending = (async () => {
        const newest = (await readWindow(dir)).segments.at(-1);
        if (!newest) return false;
        const ok = await this.encoder.grabThumbnail(join(dir, `seg_${newest.seq}.ts`), out).catch(() => false);
        if (ok) this.thumbnailAt.set(id, this.clock.now());
        return ok;
      })().finally(() => this.thumbnailJobs.delete(id));
      this.thumbnailJobs.set(id, pending);
    }
    return (await pending) ? out : null;
  }

  /** A client fetched the show's live playlist: it counts as a viewer for HLS_VIEWER_WINDOW_MS. */
  async sawHlsViewer(id: string, address: string, userAgent: string): Promise<void> {
    const viewer = createHash('sha256').update(`${address}|${userAgent.slice(0, 256)}`).digest('base64url').slice(0, 22);
    await this.sawWatcher(id, viewer);
  }

  /** Any viewer (`key` identifies it: an HLS client hash, `ws:<socket id>`) is watching now. */
  async sawWatcher(id: string, key: string): Promise<void> {
    await this.repo.markHlsViewer(id, key, this.clock.now(), HLS_VIEWER_WINDOW_MS);
  }

  /** Null unless `name` is the playlist or a segment name we write. */
  hlsPath(id: string, name: string): string | null {
    if (!ID_PATTERN.test(id)) return null;
    return name === PLAYLIST_NAME || SEGMENT_NAME.test(name) ? join(this.showDir(id), name) : null;
  }

  async toPublic(r: LiveRecord): Promise<LiveShow> {
    let viewerCount = 0;
    const publishing = r.status === 'live' && (this.local.has(r.id) || (await this.repo.publisherHeld(r.id).catch(() => false)));
    if (r.status !== 'ended') {
      const connected = await this.parties.connectedParticipantIds(r.sessionId).catch(() => new Set<string>());
      connected.delete(r.creatorParticipantId);
      // Everyone watching: people in the show's party and players polling the playlist (VLC,
      // a TV, a page without chat) — the larger, as one person is usually both.
      const hls = await this.repo.countHlsViewers(r.id, this.clock.now(), HLS_VIEWER_WINDOW_MS).catch(() => 0);
      viewerCount = Math.max(connected.size, hls);
    }
    return {
      id: r.id,
      title: r.title,
      creatorName: r.creatorName,
      status: r.status,
      startedAt: r.startedAt,
      viewerCount,
      hlsUrl: r.status === 'live' && r.hlsReady ? `/api/live/${r.id}/hls/${PLAYLIST_NAME}` : null,
      sessionId: r.sessionId,
      ...(r.recordingMediaId ? { recordingMediaId: r.recordingMediaId } : {}),
      createdAt: r.createdAt,
      endedAt: r.endedAt,
      publishing,
      ...(r.status === 'live' ? { health: await this.health(r.id) } : {}),
    };
  }

  /** Output bit rate, segment length and freshness from the served window; null before a segment. */
  private async health(id: string): Promise<LiveShow['health']> {
    const dir = this.showDir(id);
    const window = await readWindow(dir);
    if (window.segments.length === 0) return null;
    let bytes = 0;
    let seconds = 0;
    let newest = 0;
    for (const seg of window.segments) {
      const st = await stat(join(dir, `seg_${seg.seq}.ts`)).catch(() => null);
      if (!st) continue;
      bytes += st.size;
      seconds += seg.duration;
      newest = Math.max(newest, st.mtimeMs);
    }
    if (seconds === 0) return null;
    const last = window.segments[window.segments.length - 1];
    return {
      kbps: Math.round((bytes * 8) / seconds / 1000),
      segmentSeconds: Math.round(last.duration * 1000) / 1000,
      // File times are wall-clock times: compared with the wall clock, not the Clock port.
      lastSegmentAgeMs: Math.max(0, Math.round(Date.now() - newest)),
    };
  }

  private rtmpUrl(host: string): string | null {
    if (!this.rtmpEnabled) return null;
    const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `rtmp://${name}:${this.config.rtmpPort}/${LIVE_RTMP_APP}`;
  }

  // ---- ingest ----

  private async onRtmpPublish(req: RtmpPublishRequest): Promise<RtmpSink | { refused: string }> {
    if (req.app !== LIVE_RTMP_APP) return { refused: `unknown application "${req.app}": publish to /${LIVE_RTMP_APP}/<stream key>` };
    let publication: Publication;
    try {
      publication = await this.openPublisher(req.streamName, 'rtmp', 0, req.remoteAddress);
    } catch (err) {
      if (err instanceof LiveRefusal) return { refused: err.message };
      throw err;
    }
    publication.onKick((reason) => req.kick(reason));
    return {
      write: (flv) => {
        if (!publication.write(flv)) req.kick('publishing stopped: the server cannot keep up with this stream');
      },
      close: () => void publication.close(),
    };
  }

  /** Validates a stream key and takes the show's one publisher slot; throws LiveRefusal. */
  async openPublisher(key: unknown, kind: PublisherKind, inputLeadMs: number, remoteAddress: string): Promise<Publication> {
    if (this.stopping) throw refuse.restarting();
    const given = typeof key === 'string' && STREAM_KEY.test(key) ? key : null;
    const hash = hashKey(given ?? 'invalid');
    const id = given ? await this.repo.idForKeyHash(hash.toString('hex')) : null;
    const record = id ? await this.repo.get(id) : null;
    if (!given || !record || !keyMatches(given, record.keyHash)) throw refuse.wrongKey();
    if (record.status === 'ended') throw refuse.ended();
    if (!this.media.transcodingAvailable) throw refuse.unavailable();
    const owner = newId();
    if (!(await this.repo.claimPublisher(record.id, owner, LOCK_TTL_MS))) throw refuse.publishing();
    try {
      // A previous packager of this show may still be flushing on this replica.
      await this.local.get(record.id)?.stopped;
      const dir = this.showDir(record.id);
      await mkdir(dir, { recursive: true });
      const run = record.runs + 1;
      const startNumber = await nextSegmentNumber(dir);
      const now = this.clock.now();
      const updated = await this.repo.update(
        record.id,
        { status: 'live', startedAt: record.startedAt ?? new Date(now).toISOString(), runs: run, lastPublisherAt: now },
        ['scheduled', 'live'],
      );
      if (!updated) throw refuse.ended();
      const publication = new LocalPublication(this, this.clock, record.id, owner, kind, run, startNumber, inputLeadMs, dir, remoteAddress);
      this.local.set(record.id, publication);
      this.logger.log(`show ${record.id}: ${kind} publisher connected (run ${run})`);
      return publication;
    } catch (err) {
      await this.repo.releasePublisher(record.id, owner);
      throw err;
    }
  }

  /** Ends a show (once, whichever replica gets here first) and turns its recording into media. */
  async end(id: string): Promise<void> {
    const ended = await this.repo.update(
      id,
      { status: 'ended', endedAt: new Date(this.clock.now()).toISOString(), hlsReady: false },
      ['scheduled', 'live'],
    );
    if (!ended) return;
    this.logger.log(`show ${id} ended`);
    this.watch?.publishEnd(id);
    const job = this.finish(ended).catch((err: Error) => this.logger.warn(`show ${id}: recording failed: ${err.message}`));
    this.finishing.add(job);
    void job.finally(() => this.finishing.delete(job));
    await this.local.get(id)?.stop('the show has ended');
  }

  /** Every replica: ends live shows whose publisher has been gone longer than the grace. */
  private async sweep() {
    const now = this.clock.now();
    for (const r of await this.repo.list()) {
      if (r.status === 'live') {
        if (this.local.has(r.id)) continue;
        if (r.lastPublisherAt !== null && now - r.lastPublisherAt <= this.config.livePublisherGraceMs) continue;
        if (await this.repo.publisherHeld(r.id)) continue;
        await this.end(r.id);
      } else if (r.status === 'scheduled' && now - Date.parse(r.createdAt) > SCHEDULED_TTL_MS) {
        await this.end(r.id);
      }
    }
  }

  private async finish(r: LiveRecord) {
    const dir = this.showDir(r.id);
    const endedAt = this.clock.now();
    await this.local.get(r.id)?.stopped;
    // Another replica's publisher notices the end at its next heartbeat.
    for (let i = 0; i < RELEASE_POLLS && (await this.repo.publisherHeld(r.id)); i++) await this.clock.sleep(RELEASE_POLL_MS);
    // Players see EXT-X-ENDLIST and stop cleanly instead of failing on a vanished playlist.
    await endLivePlaylist(dir).catch((err: Error) => this.logger.warn(`show ${r.id}: could not end the playlist: ${err.message}`));
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    const parts = names
      .map((n) => RECORDING_PART.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => join(dir, m[0]));
    let recordingMediaId: string | null = null;
    if (parts.length > 0) {
      const output = join(dir, 'recording.mp4');
      let joined = false;
      try {
        await this.encoder.joinRecording(parts, output);
        joined = true;
      } catch (err) {
        this.logger.warn(`show ${r.id}: could not assemble the recording (${(err as Error).message})`);
      }
      if (joined) {
        try {
          recordingMediaId = (await this.media.importFile(output, r.title)).id;
        } catch (err) {
          this.logger.warn(`show ${r.id}: recording not imported: ${(err as Error).message}`);
        }
      }
    }
    // The ended playlist stays served a while (players poll it to learn the end), then the live
    // files go; once the recording id is visible, the show is fully wrapped up.
    const linger = endedAt + this.config.liveEndedLingerMs - this.clock.now();
    if (linger > 0) await this.clock.sleep(linger);
    await rm(dir, { recursive: true, force: true });
    this.thumbnailAt.delete(r.id);
    if (recordingMediaId) {
      await this.repo.update(r.id, { recordingMediaId });
      this.logger.log(`show ${r.id}: recording is media ${recordingMediaId}`);
    }
  }

  // ---- used by LocalPublication ----

  /** @internal */ packagerFor(p: LocalPublication): Packager {
    return this.encoder.startPackager({
      dir: p.dir,
      input: p.kind === 'rtmp' ? 'flv' : 'probe',
      run: p.run,
      startNumber: p.startNumber,
      inputLeadMs: p.inputLeadMs,
      onReady: (offsetMs) => void this.onPackagerReady(p, offsetMs),
      onExit: (code, stderr) => p.onPackagerExit(code, stderr),
      onInit: (init) => this.watch?.publishInit(p.showId, init.codecs, init.data),
      onFragment: (f) => this.watch?.publishFragment(p.showId, f.data, f.keyframe, f.wallclock),
    });
  }

  private async onPackagerReady(p: LocalPublication, offsetMs: number) {
    const r = await this.repo.get(p.showId);
    if (!r) return;
    const pdt = [...r.pdt.filter((f) => f.fromSeq < p.startNumber).slice(-3), { fromSeq: p.startNumber, offsetMs }];
    await this.repo.update(p.showId, { hlsReady: true, pdt }, ['live']);
  }

  /** @internal */ async heartbeat(p: LocalPublication): Promise<'ok' | 'ended' | 'lost'> {
    if (!(await this.repo.refreshPublisher(p.showId, p.owner, LOCK_TTL_MS))) return 'lost';
    const r = await this.repo.update(p.showId, { lastPublisherAt: this.clock.now() }, ['live']);
    return r ? 'ok' : 'ended';
  }

  /** @internal */ async released(p: LocalPublication) {
    if (this.local.get(p.showId) === p) this.local.delete(p.showId);
    await this.repo.update(p.showId, { lastPublisherAt: this.clock.now() }, ['live']).catch(() => null);
    await this.repo.releasePublisher(p.showId, p.owner).catch(() => undefined);
  }

  /** @internal */ log(message: string) {
    this.logger.log(message);
  }

  /** @internal */ get maxIngestKbps(): number {
    return this.config.limits.liveMaxKbps;
  }

  /** @internal */ refused(reason: RefusalReason, offender: string, detail: string) {
    this.refusals.record(reason, offender, detail);
  }
}

class LocalPublication implements Publication {
  private readonly packager: Packager;
  private readonly meter: BitrateMeter;
  private readonly timer: Timer;
  private kickFn: ((reason: string) => void) | null = null;
  private closed = false;
  readonly stopped: Promise<void>;

  constructor(
    private readonly service: LiveService,
    clock: Clock,
    readonly showId: string,
    readonly owner: string,
    readonly kind: PublisherKind,
    readonly run: number,
    readonly startNumber: number,
    readonly inputLeadMs: number,
    readonly dir: string,
    /** the publisher's client address: refusals are counted against it */
    readonly remoteAddress: string,
  ) {
    this.meter = new BitrateMeter(service.maxIngestKbps * 1000, LIVE_LIMITS.bitrateWindowMs, () => clock.now());
    this.packager = service.packagerFor(this);
    this.stopped = this.packager.done;
    this.timer = clock.setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  onKick(fn: (reason: string) => void) {
    this.kickFn = fn;
  }

  write(data: Buffer): boolean {
    if (this.closed) return false;
    if (!this.meter.add(data.length)) {
      const kbps = this.service.maxIngestKbps;
      const windowS = LIVE_LIMITS.bitrateWindowMs / 1000;
      this.service.refused('live_bitrate', this.remoteAddress, `show ${this.showId}: ${this.kind} ingest above ${kbps} kbit/s over ${windowS} s`);
      this.kick(`ingest above the ${kbps} kbit/s limit (LIVE_MAX_KBPS), averaged over ${windowS} s`);
      void this.close();
      return false;
    }
    if (this.packager.write(data)) return true;
    // Dropping bytes would corrupt the stream without a word: cut the publisher with the reason.
    this.service.log(`show ${this.showId}: the encoder fell behind the ${this.kind} publisher; cut`);
    this.kick('the server cannot encode this stream in real time; lower the bitrate, resolution or frame rate');
    void this.close();
    return false;
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancel();
    await this.packager.finish();
    await this.service.released(this);
  }

  /** Cut the publisher (its transport closes), then close. */
  async stop(reason: string) {
    this.kick(reason);
    await this.close();
  }

  onPackagerExit(code: number | null, stderr: string) {
    if (this.closed) return;
    this.service.log(`show ${this.showId}: packager exited (${code}) while publishing: ${stderr.trim().split('\n').pop() ?? ''}`);
    this.kick('the server could not decode this stream (H.264/AAC over RTMP, or MediaRecorder webm, are expected)');
    void this.close();
  }

  private kick(reason: string) {
    const fn = this.kickFn;
    this.kickFn = null;
    fn?.(reason);
  }

  private async beat() {
    if (this.closed) return;
    try {
      const result = await this.service.heartbeat(this);
      if (result === 'ended') await this.stop('the show has ended');
      else if (result === 'lost') await this.stop('publishing slot lost; reconnect');
    } catch {
      // Redis hiccup: the lock has a few seconds of slack; try again next beat.
    }
  }
}

function keyMatches(given: string, keyHashHex: string): boolean {
  const a = hashKey(given);
  const b = Buffer.from(keyHashHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
