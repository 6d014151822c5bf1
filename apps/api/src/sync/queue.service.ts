import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  LIMITS,
  MAX_QUEUE_TITLE,
  type PlaybackState,
  type QueueAdd,
  type QueueItem,
  type Source,
} from '@watch-party/contracts';
import { applyCommand, positionAt } from '@watch-party/sync-core';
import { Clock, type Timer } from '../common/clock';
import { newId } from '../common/ids';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { MediaCatalog } from '../media/media-catalog';
import { Broadcaster } from '../realtime/broadcaster';
import type { SocketData } from '../realtime/socket-types';
import { SessionRepository } from '../session/session.repository';
import { SessionService } from '../session/session.service';
import { AckFailure, badRequest, forbidden, notFound } from './ack';
import { type Actor, canControl, loadActor } from './actor';
import { ActivityService, clockTime, type Doer } from './activity.service';
import { MAX_CAS_ATTEMPTS, PlaybackService, sourceTitle } from './playback.service';

/** An end-of-source check runs this long after the computed end, so the end has surely passed. */
const END_MARGIN_MS = 50;
/**
 * A controller's "ended" report moves the queue on only when its position is within this many
 * seconds of the group's: a late report about the previous source does not skip the next one.
 */
export const ENDED_REPORT_TOLERANCE_S = 5;

/**
 * The shared queue and what moves it on: a controller's "ended" report, or the known duration
 * of a library item played out (a timer per session here, re-armed on every state change, and
 * the supervisor's sweep on every replica). Each move is one atomic store step guarded by the
 * state's rev, so it happens once however many replicas notice the end.
 */
@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly logger = new Logger('Queue');
  /** The end timer of each session, with the rev of the state it was computed from. */
  private readonly endTimers = new Map<string, { rev: number; timer: Timer }>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly sessionService: SessionService,
    private readonly playback: PlaybackService,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    private readonly media: MediaCatalog,
    private readonly activity: ActivityService,
  ) {
    playback.onStateChange((sessionId, state) => {
      this.armEndTimer(sessionId, state).catch((err: unknown) => this.logger.warn((err as Error).message));
    });
  }

  onModuleDestroy() {
    for (const { timer } of this.endTimers.values()) timer.cancel();
    this.endTimers.clear();
  }

  async add(ctx: SocketData, payload: QueueAdd): Promise<QueueItem> {
    const actor = await loadActor(this.sessions, ctx);
    if (actor.session.queuePolicy === 'controllers' && !canControl(actor)) {
      throw forbidden('only the host and controllers can add to the queue');
    }
    const media = payload.source.kind === 'media' ? await this.media.find(payload.source.mediaId) : null;
    if (payload.source.kind === 'media' && !media) throw notFound('no such media item');
    const item: QueueItem = {
      id: newId(),
      source: payload.source,
      title: payload.title || sourceTitle(payload.source, media?.title).slice(0, MAX_QUEUE_TITLE),
      addedBy: actor.participant.id,
    };
    const added = await this.sessions.addQueueItem(ctx.sessionId, item, LIMITS.queueItems, SESSION_TTL_MS);
    if (added === 'not_found') throw notFound('this party no longer exists');
    if (added === 'full') throw badRequest(`the queue is full (${LIMITS.queueItems} items)`);
    await this.announceQueue(ctx.sessionId);
    await this.activity.record(ctx.sessionId, 'queue', doer(ctx), `${ctx.name} queued “${item.title}”`, item.title);
    return item;
  }

  async remove(ctx: SocketData, itemId: string): Promise<void> {
    const actor = await loadActor(this.sessions, ctx);
    const item = actor.session.queue.find((i) => i.id === itemId);
    if (!item) throw notFound('no such queue item');
    if (!canControl(actor) && item.addedBy !== actor.participant.id) {
      throw forbidden('only controllers and whoever added an item can remove it');
    }
    if (!(await this.sessions.removeQueueItem(ctx.sessionId, itemId, SESSION_TTL_MS))) throw notFound('no such queue item');
    await this.announceQueue(ctx.sessionId);
    await this.activity.record(ctx.sessionId, 'queue', doer(ctx), `${ctx.name} took “${item.title}” off the queue`, item.title);
  }

  async move(ctx: SocketData, itemId: string, index: number): Promise<void> {
    const { session } = await this.requireController(ctx);
    if (!(await this.sessions.moveQueueItem(ctx.sessionId, itemId, index, SESSION_TTL_MS))) {
      throw notFound('no such queue item');
    }
    await this.announceQueue(ctx.sessionId);
    const title = session.queue.find((i) => i.id === itemId)?.title ?? 'an item';
    await this.activity.record(ctx.sessionId, 'queue', doer(ctx), `${ctx.name} moved “${title}” to place ${index + 1}`, title);
  }

  /** A controller skips ahead: the first item becomes the source, playing from 0. */
  async next(ctx: SocketData): Promise<PlaybackState> {
    await this.requireController(ctx);
    const state = await this.advance(ctx.sessionId, doer(ctx), null, null);
    if (!state) throw badRequest('the queue is empty');
    return state;
  }

  /** A participant reported that the source ended for them at `position`. */
  /**
   * A controller's copy ran out. Only a report about the state the group is in moves the queue
   * on: `rev` (when the client names it) must be the current one, and the position must be near
   * the group's — a late report about the item that just finished must not skip the next one.
   */
  async onEnded(sessionId: string, participantId: string, position: number, rev?: number): Promise<void> {
    const actor = await loadActor(this.sessions, { sessionId, participantId, name: '' });
    if (!canControl(actor)) return;
    const state = await this.sessions.getState(sessionId);
    if (!state?.playing) return;
    if (rev !== undefined && rev !== state.rev) return;
    if (Math.abs(positionAt(state, this.clock.now()) - position) > ENDED_REPORT_TOLERANCE_S) return;
    const duration = await this.durationOf(actor.session.source);
    await this.advance(sessionId, null, state.rev, duration ?? position);
  }

  /** If a library item with a known duration has played out, move the queue on (any replica). */
  async checkEnd(sessionId: string): Promise<void> {
    const [session, state] = await Promise.all([this.sessions.get(sessionId), this.sessions.getState(sessionId)]);
    if (!session || !state?.playing) return;
    const duration = await this.durationOf(session.source);
    if (duration === null || positionAt(state, this.clock.now()) < duration) return;
    await this.advance(sessionId, null, state.rev, duration);
  }

  /**
   * Moves the queue on: its first item becomes the source, playing from 0; with an empty
   * queue the group pauses at `endPosition` (no change when that is null). With `fromRev`,
   * only the state of that rev is moved on: once anyone changed it, there is nothing to do.
   * Returns the new state, or null when nothing changed.
   */
  private async advance(
    sessionId: string,
    doneBy: Doer | null,
    fromRev: number | null,
    endPosition: number | null,
  ): Promise<PlaybackState | null> {
    const by = doneBy?.id ?? null;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const [session, state] = await Promise.all([this.sessions.get(sessionId), this.sessions.getState(sessionId)]);
      if (!session || !state) throw notFound('this party no longer exists');
      if (fromRev !== null && state.rev !== fromRev) return null;
      const head = session.queue[0];
      const now = this.clock.now();
      if (!head) {
        if (endPosition === null) return null;
        const next = applyCommand(state, { action: 'pause', position: endPosition }, now, by);
        const result = await this.sessions.casState(sessionId, state.rev, next, { bufferingHold: null }, SESSION_TTL_MS);
        if (result.ok) {
          this.playback.announce(sessionId, next);
          await this.activity.record(sessionId, 'pause', null, `The end: nothing is queued`, clockTime(endPosition));
          return next;
        }
        continue;
      }
      const next: PlaybackState = { ...applyCommand(state, { action: 'source' }, now, by), playing: true };
      const patch = { source: head.source, bufferingHold: null };
      const result = await this.sessions.casStateShiftQueue(sessionId, state.rev, head.id, next, patch, SESSION_TTL_MS);
      if (result.ok) {
        this.playback.announce(sessionId, next);
        const updated = await this.sessions.get(sessionId);
        if (updated) {
          this.broadcaster.toSession(sessionId, 'session:update', await this.sessionService.toInfo(updated));
          this.broadcaster.toSession(sessionId, 'queue:update', updated.queue);
        }
        const text = doneBy ? `${doneBy.name} skipped to “${head.title}”` : `Up next: “${head.title}”`;
        await this.activity.record(sessionId, 'source', doneBy, text, head.title);
        return next;
      }
      // The rev moved (someone acted: checked above on the next pass) or the queue did: read again.
    }
    throw new AckFailure('INTERNAL', 'the party is too busy; try again');
  }

  /** (Re)schedules the end-of-source check for the state just stored. */
  private async armEndTimer(sessionId: string, state: PlaybackState): Promise<void> {
    const armed = this.endTimers.get(sessionId);
    if (armed && armed.rev > state.rev) return;
    armed?.timer.cancel();
    this.endTimers.delete(sessionId);
    if (!state.playing) return;
    const session = await this.sessions.get(sessionId);
    const duration = await this.durationOf(session?.source ?? null);
    const latest = this.endTimers.get(sessionId);
    if (duration === null || (latest && latest.rev >= state.rev)) return;
    const dueInMs = Math.max(0, ((duration - state.position) / state.rate) * 1000) + END_MARGIN_MS;
    const timer = this.clock.setTimeout(() => {
      if (this.endTimers.get(sessionId)?.timer === timer) this.endTimers.delete(sessionId);
      this.checkEnd(sessionId).catch((err: unknown) => this.logger.warn((err as Error).message));
    }, dueInMs);
    this.endTimers.set(sessionId, { rev: state.rev, timer });
  }

  private async durationOf(source: Source | null): Promise<number | null> {
    if (source?.kind !== 'media') return null;
    const media = await this.media.find(source.mediaId);
    return media?.durationSec ?? null;
  }

  private async announceQueue(sessionId: string): Promise<void> {
    const session = await this.sessions.get(sessionId);
    if (session) this.broadcaster.toSession(sessionId, 'queue:update', session.queue);
  }

  private async requireController(ctx: SocketData): Promise<Actor> {
    const actor = await loadActor(this.sessions, ctx);
    if (!canControl(actor)) throw forbidden('only the host and controllers can do this');
    return actor;
  }
}

const doer = (ctx: SocketData): Doer => ({ id: ctx.participantId, name: ctx.name });
