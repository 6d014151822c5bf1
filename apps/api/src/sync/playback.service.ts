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
import { ActivityService, clockTime } from './activity.service';

/** A session patch written with the state, or computed from the new state. */
type PatchFor = SessionPatch | ((next: PlaybackState) => SessionPatch) | null;

/** CAS retries (only other replicas can interleave) before giving up. */
export const MAX_CAS_ATTEMPTS = 50;

/** Told of every state this replica stored (the queue re-arms its end-of-source timer). */
export type StateListener = (sessionId: string, state: PlaybackState) => void;

/** The authoritative PlaybackState: every change is one atomic compare-and-set in the store. */
@Injectable()
export class PlaybackService {
  private readonly queue = new KeyedQueue();
  private readonly listeners: StateListener[] = [];

  constructor(
    private readonly sessions: SessionRepository,
    private readonly sessionService: SessionService,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    private readonly media: MediaCatalog,
    private readonly activity: ActivityService,
  ) {}

  onStateChange(listener: StateListener): void {
    this.listeners.push(listener);
  }

  /** A state this replica just stored: everyone in the session hears of it. */
  announce(sessionId: string, state: PlaybackState): void {
    this.broadcaster.toSession(sessionId, 'playback:state', state);
    for (const listener of this.listeners) listener(sessionId, state);
  }

  async control(ctx: SocketData, control: PlaybackControl): Promise<PlaybackState> {
    await this.requireController(ctx);
    const state = await this.apply(ctx.sessionId, toCommand(control), ctx.participantId, { bufferingHold: null });
    await this.activity.record(ctx.sessionId, control.action, doer(ctx), describe(control.action, ctx.name, state), detailOf(control.action, state));
    return state;
  }

  async setSource(ctx: SocketData, source: Source): Promise<PlaybackState> {
    await this.requireController(ctx);
    const media = source.kind === 'media' ? await this.media.find(source.mediaId) : null;
    if (source.kind === 'media' && !media) throw notFound('no such media item');
    const state = await this.apply(ctx.sessionId, { action: 'source' }, ctx.participantId, {
      source,
      bufferingHold: null,
    });
    const session = await this.sessions.get(ctx.sessionId);
    if (session) this.broadcaster.toSession(ctx.sessionId, 'session:update', await this.sessionService.toInfo(session));
    const title = sourceTitle(source, media?.title);
    await this.activity.record(ctx.sessionId, 'source', doer(ctx), `${ctx.name} started “${title}”`, title);
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
        this.announce(sessionId, next);
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

const doer = (ctx: SocketData) => ({ id: ctx.participantId, name: ctx.name });

/** How a source is named in the activity: the library title, the URL, or "a live show". */
export function sourceTitle(source: Source, mediaTitle: string | undefined): string {
  switch (source.kind) {
    case 'media':
      return mediaTitle ?? 'a library item';
    case 'url':
      return source.url;
    case 'live':
      return 'a live show';
  }
}

function describe(action: PlaybackControl['action'], name: string, state: PlaybackState): string {
  switch (action) {
    case 'play':
      return `${name} pressed play at ${clockTime(state.position)}`;
    case 'pause':
      return `${name} paused at ${clockTime(state.position)}`;
    case 'seek':
      return `${name} jumped to ${clockTime(state.position)}`;
    case 'rate':
      return `${name} set the speed to ${state.rate}×`;
  }
}

function detailOf(action: PlaybackControl['action'], state: PlaybackState): string {
  return action === 'rate' ? String(state.rate) : clockTime(state.position);
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
