import { Injectable } from '@nestjs/common';
import type {
  ParticipantStatusPayload,
  Role,
  SessionInfo,
  SessionSettings,
  SessionSnapshot,
} from '@watch-party/contracts';
import { Clock, type Timer } from '../common/clock';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { SessionService } from '../session/session.service';
import { badRequest, forbidden, notFound } from './ack';
import { type Actor, loadActor } from './actor';
import { Broadcaster } from '../realtime/broadcaster';
import { PresenceService } from './presence.service';
import { QueueService } from './queue.service';
import { ActivityService } from './activity.service';
import type { SocketData } from '../realtime/socket-types';
import { SupervisorService } from './supervisor.service';

/** Drift-only status changes are announced at most this often per session and replica. */
export const DRIFT_BROADCAST_MS = 2000;
/**
 * Joins and leaves are announced within this long: a burst of 200 people connecting costs a
 * few full-list broadcasts instead of 200 (each list goes to everyone: O(n^2) bytes).
 */
export const PRESENCE_BROADCAST_MS = 100;
/** Devices one party may ban: enough for any evening, bounded against a flood of throwaway joins. */
export const BANNED_DEVICES_MAX = 1000;

/** Roles, settings, kicks and status reports: the host's tools and everyone's presence. */
@Injectable()
export class GroupService {
  private readonly pending = new Map<string, { timer: Timer; dueAt: number }>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly sessionService: SessionService,
    private readonly presence: PresenceService,
    private readonly broadcaster: Broadcaster,
    private readonly supervisor: SupervisorService,
    private readonly clock: Clock,
    private readonly queue: QueueService,
    private readonly activity: ActivityService,
  ) {}

  /**
   * A socket passed the handshake: it counts as present, and everyone hears of it soon.
   * `deliver` hands the socket the snapshot it starts from before its own "joined" line is
   * broadcast: a line sent first would be wiped by the snapshot that replaces the client's chat.
   * Returns that snapshot, or null (nothing delivered) when its party or participant is gone.
   */
  async socketJoined(
    sessionId: string,
    socketId: string,
    participantId: string,
    deliver: (snapshot: SessionSnapshot) => void,
  ): Promise<SessionSnapshot | null> {
    const wasHere = (await this.sessions.connectedParticipantIds(sessionId)).has(participantId);
    await this.presence.connect(sessionId, socketId, participantId);
    const snapshot = await this.presence.snapshot(sessionId, participantId);
    if (snapshot) {
      deliver(snapshot);
      this.announceSoon(sessionId, PRESENCE_BROADCAST_MS);
      // A second tab or a reconnect while another socket stayed is no news.
      if (!wasHere) await this.activity.record(sessionId, 'join', snapshot.you, `${snapshot.you.name} joined`);
    }
    return snapshot;
  }

  /** A socket closed: it no longer counts, everyone hears of it soon, and a host who left is watched. */
  async socketLeft(sessionId: string, socketId: string): Promise<void> {
    const participantId = await this.presence.disconnect(sessionId, socketId);
    this.announceSoon(sessionId, PRESENCE_BROADCAST_MS);
    this.supervisor.onDisconnect(sessionId);
    if (participantId === null || (await this.sessions.connectedParticipantIds(sessionId)).has(participantId)) return;
    // A kicked participant is gone from the party: the kick said it already.
    const participant = await this.sessions.getParticipant(sessionId, participantId);
    if (participant) await this.activity.record(sessionId, 'leave', participant, `${participant.name} left`);
  }

  async setRole(ctx: SocketData, participantId: string, role: Role): Promise<void> {
    const actor = await this.requireHost(ctx);
    const target = await this.sessions.getParticipant(ctx.sessionId, participantId);
    if (!target) throw notFound('no such participant');
    if (role === 'host') {
      if (target.id === actor.participant.id) return;
      const moved = await this.sessions.transferHost(ctx.sessionId, actor.participant.id, target.id, SESSION_TTL_MS);
      if (!moved) throw forbidden('you are no longer the host');
      await this.announceParticipants(ctx.sessionId);
      await this.activity.record(ctx.sessionId, 'host', actor.participant, `${actor.participant.name} made ${target.name} the host`, target.name);
      return;
    }
    if (target.id === actor.participant.id) throw badRequest('give the host role to someone else instead');
    await this.sessions.updateParticipant(ctx.sessionId, target.id, { role }, SESSION_TTL_MS);
    await this.announceParticipants(ctx.sessionId);
    await this.activity.record(ctx.sessionId, 'role', actor.participant, `${actor.participant.name} made ${target.name} a ${role}`, target.name);
  }

  async updateSettings(ctx: SocketData, settings: SessionSettings): Promise<SessionInfo> {
    await this.requireHost(ctx);
    const patch = { ...settings, ...(settings.waitForBuffering === false ? { bufferingHold: null } : {}) };
    const session = await this.sessions.updateSession(ctx.sessionId, patch, SESSION_TTL_MS);
    if (!session) throw notFound('this party no longer exists');
    const info = await this.sessionService.toInfo(session);
    this.broadcaster.toSession(ctx.sessionId, 'session:update', info);
    return info;
  }

  /** With `ban`, later joins from the participant's device are refused (one that sent no deviceId is only removed). */
  async kick(ctx: SocketData, participantId: string, ban = false): Promise<void> {
    const actor = await this.requireHost(ctx);
    if (participantId === ctx.participantId) throw badRequest('the host cannot kick themselves');
    const target = await this.sessions.getParticipant(ctx.sessionId, participantId);
    if (!target) throw notFound('no such participant');
    const deviceId = ban ? target.deviceId : null;
    if (deviceId) {
      const banned = await this.sessions.banDevice(ctx.sessionId, deviceId, BANNED_DEVICES_MAX, SESSION_TTL_MS);
      if (banned === 'not_found') throw notFound('this party no longer exists');
      if (banned === 'full') throw badRequest(`this party already bans ${BANNED_DEVICES_MAX} devices`);
    }
    const removed = await this.sessions.removeParticipant(ctx.sessionId, participantId, SESSION_TTL_MS);
    if (!removed) throw notFound('no such participant');
    this.broadcaster.toParticipant(participantId, 'session:kicked', { reason: 'the host removed you from this party' });
    this.broadcaster.disconnectParticipant(participantId);
    await this.announceParticipants(ctx.sessionId);
    const how = deviceId ? 'removed and banned' : 'removed';
    await this.activity.record(ctx.sessionId, 'kick', actor.participant, `${actor.participant.name} ${how} ${target.name}`, target.name);
  }

  async reportStatus(ctx: SocketData, report: ParticipantStatusPayload): Promise<void> {
    const before = await this.sessions.getParticipant(ctx.sessionId, ctx.participantId);
    if (!before) throw forbidden('you are no longer a participant of this party');
    const driftMs = report.driftMs === undefined ? null : Math.round(report.driftMs * 10) / 10;
    const error = report.status === 'error' ? (report.error ?? null) : null;
    await this.sessions.updateParticipant(ctx.sessionId, ctx.participantId, { status: report.status, driftMs, error }, SESSION_TTL_MS);
    if (before.status !== report.status || (before.error ?? null) !== error) {
      await this.announceParticipants(ctx.sessionId);
      await this.supervisor.onStatus(ctx.sessionId, ctx.participantId, report.status);
      if (report.status === 'ended' && before.status !== 'ended') {
        await this.queue.onEnded(ctx.sessionId, ctx.participantId, report.position, report.rev);
      }
    } else if (before.driftMs !== driftMs) {
      this.announceSoon(ctx.sessionId, DRIFT_BROADCAST_MS);
    }
  }

  async announceParticipants(sessionId: string) {
    this.broadcaster.toSession(sessionId, 'participants:update', await this.presence.participants(sessionId));
  }

  /** One announcement within `withinMs`, however many changes ask for one meanwhile. */
  private announceSoon(sessionId: string, withinMs: number) {
    const dueAt = this.clock.now() + withinMs;
    const current = this.pending.get(sessionId);
    if (current && current.dueAt <= dueAt) return;
    current?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(sessionId);
      this.announceParticipants(sessionId).catch(() => undefined);
    }, withinMs);
    this.pending.set(sessionId, { timer, dueAt });
  }

  private async requireHost(ctx: SocketData): Promise<Actor> {
    const actor = await loadActor(this.sessions, ctx);
    if (actor.participant.role !== 'host') throw forbidden('only the host can do this');
    return actor;
  }

  onModuleDestroy() {
    for (const { timer } of this.pending.values()) timer.cancel();
    this.pending.clear();
  }
}
