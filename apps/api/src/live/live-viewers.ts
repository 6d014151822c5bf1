import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { LiveParties } from './live-parties';
import { type LiveRecord, LiveRepository } from './live.repository';

/** A client that fetched the live playlist this recently is watching (players poll every ~1 s). */
export const HLS_VIEWER_WINDOW_MS = 10_000;
/** Of a user agent, this much identifies a player. */
const USER_AGENT_CHARS = 256;

/** Who watches a show: its party's connected members and the players seen lately (all replicas). */
@Injectable()
export class LiveViewers {
  constructor(
    private readonly repo: LiveRepository,
    private readonly parties: LiveParties,
    private readonly clock: Clock,
  ) {}

  /** A client fetched the show's live playlist: it counts as a viewer for HLS_VIEWER_WINDOW_MS. */
  async sawHlsViewer(id: string, address: string, userAgent: string): Promise<void> {
    const viewer = createHash('sha256').update(`${address}|${userAgent.slice(0, USER_AGENT_CHARS)}`).digest('base64url').slice(0, 22);
    await this.sawWatcher(id, viewer);
  }

  /** Any viewer (`key` identifies it: an HLS client hash, `ws:<socket id>`) is watching now. */
  async sawWatcher(id: string, key: string): Promise<void> {
    await this.repo.markHlsViewer(id, key, this.clock.now(), HLS_VIEWER_WINDOW_MS);
  }

  /**
   * Everyone watching: people in the show's party (the creator not counted) and players polling
   * the playlist (VLC, a TV, a page without chat), the larger, as one person is usually both.
   * None once ended.
   */
  async count(r: LiveRecord): Promise<number> {
    if (r.status === 'ended') return 0;
    const connected = await this.parties.connectedParticipantIds(r.sessionId).catch(() => new Set<string>());
    connected.delete(r.creatorParticipantId);
    const hls = await this.repo.countHlsViewers(r.id, this.clock.now(), HLS_VIEWER_WINDOW_MS).catch(() => 0);
    return Math.max(connected.size, hls);
  }
}
