import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ParticipantStatus } from '@watch-party/contracts';
import { Clock, type Timer } from '../common/clock';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { Broadcaster } from '../realtime/broadcaster';
import { PlaybackService } from './playback.service';
import { PresenceService } from './presence.service';
import { QueueService } from './queue.service';
import { ActivityService } from './activity.service';

/** A host without any socket for this long hands over to the longest-present participant. */
export const HOST_ABSENCE_MS = 10_000;
/** A group paused for someone's buffering resumes after this long even if not all are ready. */
export const BUFFERING_HOLD_MS = 10_000;
/** Each replica re-checks its sessions this often (covers replicas that died mid-wait). */
export const SUPERVISOR_SWEEP_MS = 2_000;
/** Scheduled re-checks run this long after the deadline, so the deadline has surely passed. */
const RECHECK_MARGIN_MS = 50;

/**
 * Time-based group rules: host migration, buffering holds, and the end of a library item.
 * Any replica may act; the store's atomic operations make each change happen once however
 * many replicas try.
 */
@Injectable()
export class SupervisorService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Supervisor');
  private readonly hostAbsentSince = new Map<string, number>();
  private readonly timers = new Set<Timer>();
  private sweeper?: Timer;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly presence: PresenceService,
    private readonly playback: PlaybackService,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
    private readonly queue: QueueService,
    private readonly activity: ActivityService,
  ) {}

  onModuleInit() {
    this.sweeper = this.clock.setInterval(() => void this.sweep(), SUPERVISOR_SWEEP_MS);
  }

  onModuleDestroy() {
    this.sweeper?.cancel();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  /** A socket left: if it was the host's last, start the host-absence clock. */
  onDisconnect(sessionId: string) {
    this.later(0, () => this.checkHost(sessionId));
    this.later(HOST_ABSENCE_MS + RECHECK_MARGIN_MS, () => this.checkHost(sessionId));
  }

  async onStatus(sessionId: string, participantId: string, status: ParticipantStatus) {
    const session = await this.sessions.get(sessionId);
    if (!session?.waitForBuffering) return;
    if (status === 'buffering' && !session.bufferingHold) {
      await this.playback.apply(
        sessionId,
        { action: 'pause' },
        participantId,
        (next) => ({ bufferingHold: { since: next.at, rev: next.rev } }),
        (current) => current.playing,
      );
      this.later(BUFFERING_HOLD_MS + RECHECK_MARGIN_MS, () => this.checkHold(sessionId));
    } else if (status === 'ready' && session.bufferingHold) {
      await this.checkHold(sessionId);
    }
  }

  /** Resume a buffering pause when everyone connected is ready or the hold has lasted 10 s. */
  async checkHold(sessionId: string) {
    const session = await this.sessions.get(sessionId);
    const hold = session?.bufferingHold;
    if (!hold) return;
    const state = await this.sessions.getState(sessionId);
    if (!state || state.rev !== hold.rev) {
      // Someone acted since the pause: the hold no longer applies.
      await this.sessions.updateSession(sessionId, { bufferingHold: null }, SESSION_TTL_MS);
      return;
    }
    const expired = this.clock.now() - hold.since >= BUFFERING_HOLD_MS;
    const connected = (await this.presence.participants(sessionId)).filter((p) => p.connected);
    if (expired || connected.every((p) => p.status === 'ready')) {
      await this.playback.apply(sessionId, { action: 'play' }, null, { bufferingHold: null }, (s) => s.rev === hold.rev);
    }
  }

  async checkHost(sessionId: string) {
    const participants = await this.presence.participants(sessionId);
    const host = participants.find((p) => p.role === 'host');
    if (host?.connected) {
      this.hostAbsentSince.delete(sessionId);
      return;
    }
    const now = this.clock.now();
    const since = this.hostAbsentSince.get(sessionId) ?? now;
    this.hostAbsentSince.set(sessionId, since);
    if (now - since < HOST_ABSENCE_MS) return;
    // Oldest first: the longest-present connected participant takes over.
    const heir = participants.find((p) => p.connected && p.role !== 'host');
    if (!host || !heir) return;
    const moved = await this.sessions.transferHost(sessionId, host.id, heir.id, SESSION_TTL_MS);
    this.hostAbsentSince.delete(sessionId);
    if (moved) {
      this.logger.log(`session ${sessionId}: host passed to ${heir.id}`);
      this.broadcaster.toSession(sessionId, 'participants:update', await this.presence.participants(sessionId));
      await this.activity.record(sessionId, 'host', null, `${heir.name} is now the host (${host.name} was away)`, heir.name);
    }
  }

  private async sweep() {
    for (const sessionId of this.broadcaster.localSessionIds()) {
      try {
        await this.checkHost(sessionId);
        await this.checkHold(sessionId);
        // Backs up the end timer of whichever replica last changed the state (it may be gone).
        await this.queue.checkEnd(sessionId);
      } catch (err) {
        this.logger.warn(`sweep ${sessionId}: ${(err as Error).message}`);
      }
    }
  }

  private later(ms: number, fn: () => Promise<void>) {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn().catch((err: unknown) => this.logger.warn((err as Error).message));
    }, ms);
    this.timers.add(timer);
  }
}
