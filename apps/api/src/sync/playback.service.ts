import { Injectable } from '@nestjs/common';
import type { PlaybackControl, PlaybackState, Source } from '@watch-party/contracts';
import { applyCommand, type PlaybackCommand } from '@watch-party/sync-core';
import { Clock } from '../common/clock';
import { MediaCatalog } from '../media/media-catalog';
import { KeyedQueue } from '../common/keyed-queue';
import { type SessionPatch, SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { SessionService } from '../session/session.service';
import { AckFailure, forbidden, notFound } from './ack';
import { type Actor, canControl, loadActor } from './actor';
import { Broadcaster } from '../realtime/broadcaster';
import type { SocketData } from '../realtime/socket-types';

/** A session patch written with the state, or computed from the new state. */
type PatchFor = SessionPatch | ((next: PlaybackState) => SessionPatch) | null;

/** CAS retries (only other replicas can interleave) before giving up. */
const MAX_CAS_ATTEMPTS = 50;

/** The authoritative PlaybackState: every change is one atomic compare-and-set in the store. */
@Injectable()
export class PlaybackService {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly sessionService: SessionService,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    private readonly media: MediaCatalog,
  ) {}

  async control(ctx: SocketData, control: PlaybackControl): Promise<PlaybackState> {
    await this.requireController(ctx);
    return this.apply(ctx.sessionId, toCommand(control), ctx.participantId, { bufferingHold: null });
  }

  async setSource(ctx: SocketData, source: Source): Promise<PlaybackState> {
    await this.requireController(ctx);
    if (source.kind === 'media' && !(await this.media.find(source.mediaId))) throw notFound('no such media item');
    const state = await this.apply(ctx.sessionId, { action: 'source' }, ctx.participantId, {
      source,
      bufferingHold: null,
    });
    const session = await this.sessions.get(ctx.sessionId);
    if (session) this.broadcaster.toSession(ctx.sessionId, 'session:update', await this.sessionService.toInfo(session));
    return state;
  }

  /**
   * Applies `command` on top of whatever the state is when it lands (commands from many
   * controllers on many replicas interleave as whole steps; rev grows by one each) and
   * announces the result to the session on every replica.
   */
  async apply(
    sessionId: string,
    command: PlaybackCommand,
    by: string | null,
    patch: PatchFor,
    guard?: (current: PlaybackState) => boolean,
  ): Promise<PlaybackState> {
    return this.queue.run(sessionId, () => this.applyNow(sessionId, command, by, patch, guard));
  }

  private async applyNow(
    sessionId: string,
    command: PlaybackCommand,
    by: string | null,
    patch: PatchFor,
    guard?: (current: PlaybackState) => boolean,
  ): Promise<PlaybackState> {
    let current = await this.sessions.getState(sessionId);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!current) throw notFound('this party no longer exists');
      if (guard && !guard(current)) return current;
      const next = applyCommand(current, command, this.clock.now(), by);
      const sessionPatch = typeof patch === 'function' ? patch(next) : patch;
      const result = await this.sessions.casState(sessionId, current.rev, next, sessionPatch, SESSION_TTL_MS);
      if (result.ok) {
        this.broadcaster.toSession(sessionId, 'playback:state', next);
        return next;
      }
      current = result.current;
    }
    throw new AckFailure('INTERNAL', 'the party is too busy; try again');
  }

  private async requireController(ctx: SocketData): Promise<Actor> {
    const actor = await loadActor(this.sessions, ctx);
    if (!canControl(actor)) throw forbidden('only the host and controllers can change playback');
    return actor;
  }
}

function toCommand(control: PlaybackControl): PlaybackCommand {
  switch (control.action) {
    case 'play':
    case 'pause':
      return { action: control.action, position: control.position };
    case 'seek':
      return { action: 'seek', position: control.position ?? 0 };
    case 'rate':
      return { action: 'rate', rate: control.rate ?? 1, position: control.position };
  }
}
