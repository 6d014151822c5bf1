import { Logger } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { Metrics } from '../ops/metrics';
import { ShutdownService } from '../ops/shutdown.service';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../session/session.service';
import { TokenError, TokenService } from '../session/token.service';
import { Broadcaster } from './broadcaster';
import { EventRouter } from './event-router';
import { GroupService, PRESENCE_BROADCAST_MS } from './group.service';
import { PresenceService } from './presence.service';
import { SupervisorService } from './supervisor.service';
import { type AppServer, type AppSocket, participantRoom, sessionRoom } from './socket-types';

/** Sessions with sockets here get their expiry pushed out this often. */
const EXPIRY_REFRESH_MS = 10 * 60_000;

/** Thin edge: authenticates the handshake, joins rooms, delegates everything else. */
@WebSocketGateway()
export class SyncGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('SyncGateway');
  private refresher?: NodeJS.Timeout;
  private server?: AppServer;
  /** Connect/disconnect handlers still talking to the store; shutdown waits for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionRepository,
    private readonly presence: PresenceService,
    private readonly router: EventRouter,
    private readonly broadcaster: Broadcaster,
    private readonly supervisor: SupervisorService,
    private readonly metrics: Metrics,
    private readonly shutdown: ShutdownService,
    private readonly group: GroupService,
  ) {
    shutdown.onDrain(() => this.drain());
  }

  afterInit(server: AppServer) {
    this.server = server;
    this.broadcaster.attach(server);
    server.use((socket, next) => {
      if (this.shutdown.draining) return next(new Error('server restarting; reconnect'));
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          const message = err instanceof Error ? err.message : 'refused';
          if (!(err instanceof TokenError)) this.logger.warn(`handshake failed: ${message}`);
          next(new Error(message));
        },
      );
    });
    this.refresher = setInterval(() => void this.refreshLocalSessions(), EXPIRY_REFRESH_MS);
    this.refresher.unref();
  }

  handleConnection(socket: AppSocket) {
    return this.track(this.connected(socket));
  }

  handleDisconnect(socket: AppSocket) {
    return this.track(this.disconnected(socket));
  }

  private async connected(socket: AppSocket) {
    const { sessionId, participantId } = socket.data;
    if (!sessionId) return; // refused by the handshake middleware
    this.metrics.sockets.inc();
    this.router.attach(socket);
    try {
      await socket.join([sessionRoom(sessionId), participantRoom(participantId)]);
      await this.presence.connect(sessionId, socket.id, participantId);
      const snapshot = await this.presence.snapshot(sessionId, participantId);
      if (!snapshot) {
        socket.disconnect(true);
        return;
      }
      socket.emit('session:snapshot', snapshot);
      this.metrics.sessions.set(this.broadcaster.localSessionIds().length);
      this.group.announceSoon(sessionId, PRESENCE_BROADCAST_MS);
    } catch (err) {
      this.logger.error(`connect ${socket.id}: ${(err as Error).message}`);
      socket.disconnect(true);
    }
  }

  private async disconnected(socket: AppSocket) {
    const { sessionId } = socket.data;
    if (!sessionId) return;
    this.metrics.sockets.dec();
    this.metrics.sessions.set(this.broadcaster.localSessionIds().length);
    try {
      await this.presence.disconnect(sessionId, socket.id);
      this.group.announceSoon(sessionId, PRESENCE_BROADCAST_MS);
      this.supervisor.onDisconnect(sessionId);
    } catch (err) {
      this.logger.warn(`disconnect ${socket.id}: ${(err as Error).message}`);
    }
  }

  private async authenticate(socket: AppSocket) {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const claims = await this.tokens.verify(auth?.token);
    const participant = await this.sessions.getParticipant(claims.sessionId, claims.participantId);
    if (!participant) {
      throw new TokenError('token refused: not a participant of this party (removed, or the party expired)');
    }
    socket.data = { sessionId: claims.sessionId, participantId: participant.id, name: participant.name };
  }

  private async refreshLocalSessions() {
    for (const sessionId of this.broadcaster.localSessionIds()) {
      await this.sessions.refreshExpiry(sessionId, SESSION_TTL_MS).catch(() => undefined);
    }
  }

  /**
   * Shutdown: answer the acks in flight, then close every client's transport (not a
   * server-side disconnect, which clients would not retry) so they reconnect through the
   * load balancer to another replica; wait until presence is cleaned up.
   */
  private async drain() {
    await this.router.idle(3000);
    for (const socket of this.server?.of('/').sockets.values() ?? []) socket.conn.close();
    const deadline = Date.now() + 3000;
    while (this.pending.size > 0 && Date.now() < deadline) await Promise.race([...this.pending, sleep(100)]);
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    return work.finally(() => this.pending.delete(work));
  }

  onModuleDestroy() {
    clearInterval(this.refresher);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
