import { ForbiddenException, Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import { type CreatedLiveShow, type CreateLiveBody, ID_PATTERN, LIVE_INGEST_NAMESPACE, type LiveShow } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { LiveHealth } from './live-health';
import { LiveIngest } from './live-ingest.service';
import { keyHash, keyMatches, newStreamKey } from './live-keys';
import { LiveParties } from './live-parties';
import { LiveRecorder } from './live-recorder';
import { LiveRtmp } from './live-rtmp';
import { PLAYLIST_NAME } from './live-storage';
import { LiveViewers } from './live-viewers';
import { LiveWatchHub } from './live-watch.hub';
import { type LiveRecord, LiveRepository } from './live.repository';

/** A party name's length. */
export const PARTY_NAME_MAX = 80;
/** `list` answers at most this many shows. */
export const LIST_MAX = 100;

/** The shows as REST sees them: create (with its key), list, get, end; and their public form. */
@Injectable()
export class LiveShows {
  private readonly logger = new Logger('Live');

  constructor(
    private readonly repo: LiveRepository,
    private readonly parties: LiveParties,
    private readonly ingest: LiveIngest,
    private readonly recorder: LiveRecorder,
    private readonly rtmp: LiveRtmp,
    private readonly viewers: LiveViewers,
    private readonly health: LiveHealth,
    private readonly clock: Clock,
    /** Sub-second delivery over /live-watch; absent in unit tests of the show lifecycle. */
    @Optional() private readonly watch?: LiveWatchHub,
  ) {}

  async create(body: CreateLiveBody, clientIp: string, host: string): Promise<CreatedLiveShow> {
    const id = newId();
    const streamKey = newStreamKey();
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
      keyHash: keyHash(streamKey),
      hlsReady: false,
      runs: 0,
      lastPublisherAt: null,
      pdt: [],
    };
    await this.repo.insert(record);
    return {
      show: await this.toPublic(record),
      streamKey,
      ingest: { rtmpUrl: this.rtmp.url(host), wsPath: LIVE_INGEST_NAMESPACE },
      participantId: joined.participantId,
      token: joined.token,
    };
  }

  /** Live first, then scheduled, then ended; newest first within each. */
  async list(): Promise<LiveShow[]> {
    const rank = { live: 0, scheduled: 1, ended: 2 } as const;
    const records = (await this.repo.list()).sort(
      (a, b) => rank[a.status] - rank[b.status] || (b.startedAt ?? b.createdAt).localeCompare(a.startedAt ?? a.createdAt),
    );
    return Promise.all(records.slice(0, LIST_MAX).map((r) => this.toPublic(r)));
  }

  async get(id: string): Promise<LiveShow> {
    return this.toPublic(await this.require(id));
  }

  /** 404 for an unknown (or malformed) id. */
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
    this.recorder.wrapUp(ended);
    await this.ingest.stopLocal(id, 'the show has ended');
  }

  async toPublic(r: LiveRecord): Promise<LiveShow> {
    const publishing = r.status === 'live' && (this.ingest.isLocal(r.id) || (await this.repo.publisherHeld(r.id).catch(() => false)));
    return {
      id: r.id,
      title: r.title,
      creatorName: r.creatorName,
      status: r.status,
      startedAt: r.startedAt,
      viewerCount: await this.viewers.count(r),
      hlsUrl: r.status === 'live' && r.hlsReady ? `/api/live/${r.id}/hls/${PLAYLIST_NAME}` : null,
      sessionId: r.sessionId,
      ...(r.recordingMediaId ? { recordingMediaId: r.recordingMediaId } : {}),
      createdAt: r.createdAt,
      endedAt: r.endedAt,
      publishing,
      ...(r.status === 'live' ? { health: await this.health.of(r) } : {}),
    };
  }
}
