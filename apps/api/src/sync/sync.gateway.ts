import { Logger } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { Clock, type Timer } from '../common/clock';
import { Metrics } from '../ops/metrics';
import { ShutdownService } from '../ops/shutdown.service';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { type TokenClaims, TokenError, TokenService } from '../session/token.service';
import { Broadcaster } from '../realtime/broadcaster';
import { HandshakeRefusal } from '../common/handshake-refusal';
import { EventRouter } from './event-router';
import { GroupService } from './group.service';
import { type AppServer, type AppSocket, participantRoom, type SocketData, sessionRoom } from '../realtime/socket-types';

/** Sessions with sockets here get their expiry pushed out this often. */
const EXPIRY_REFRESH_MS = 10 * 60_000;
/** Shutdown waits this long for the acks in flight, then as long again for presence cleanup. */
const DRAIN_ACKS_MS = 3000;
const DRAIN_PRESENCE_MS = 3000;
/** How often shutdown looks again whether presence cleanup is done. */
const DRAIN_POLL_MS = 100;

/** Thin edge: authenticates the handshake, joins rooms, delegates everything else. */
@WebSocketGateway()
export class SyncGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('SyncGateway');
  private refresher?: Timer;
  private server?: AppServer;
  /** Connect/disconnect handlers still talking to the store; shutdown waits for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionRepository,
    private readonly router: EventRouter,
    private readonly broadcaster: Broadcaster,
    private readonly metrics: Metrics,
    private readonly shutdown: ShutdownService,
    private readonly group: GroupService,
    private readonly clock: Clock,
  ) {
    shutdown.onDrain(() => this.drain());
  }

  afterInit(server: AppServer) {
    this.server = server;
    this.broadcaster.attach(server);
    server.use((socket, next) => void this.handshake(socket, next));
    this.refresher = this.clock.setInterval(() => void this.refreshLocalSessions(), EXPIRY_REFRESH_MS);
  }

  /** The namespace middleware: the socket is admitted (its data set), or refused with a code. */
  async handshake(socket: Pick<AppSocket, 'handshake' | 'data'>, next: (err?: Error) => void): Promise<void> {
    let data: SocketData;
    try {
      data = await this.admit(socket.handshake.auth);
    } catch (err) {
      next(this.refusal(err));
      return;
    }
    socket.data = data;
    next();
  }

  /**
   * Who a handshake's `auth` (`{ token }`) names. Refusals are HandshakeRefusals: their code
   * tells the client whether to reconnect (SERVER_RESTARTING) or to stop (the others).
   */
  async admit(auth: unknown): Promise<SocketData> {
    if (this.shutdown.draining) throw new HandshakeRefusal('SERVER_RESTARTING', 'server restarting; reconnect');
    const token = typeof auth === 'object' && auth !== null && 'token' in auth ? auth.token : undefined;
    let claims: TokenClaims;
    try {
      claims = await this.tokens.verify(token);
    } catch (err) {
      if (err instanceof TokenError) throw new HandshakeRefusal(err.code, err.message);
      throw err;
    }
    const participant = await this.sessions.getParticipant(claims.sessionId, claims.participantId);
    if (!participant) {
      throw new HandshakeRefusal(
        'NOT_A_PARTICIPANT',
        'token refused: not a participant of this party (removed, or the party expired)',
      );
    }
    return { sessionId: claims.sessionId, participantId: participant.id, name: participant.name };
  }

  /** Anything but a decided refusal (the store failing) is logged and refused as such. */
  private refusal(err: unknown): HandshakeRefusal {
    if (err instanceof HandshakeRefusal) return err;
    const message = err instanceof Error ? err.message : 'refused';
    this.logger.warn(`handshake failed: ${message}`);
    return new HandshakeRefusal('REFUSED', message);
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
      const snapshot = await this.group.socketJoined(sessionId, socket.id, participantId, (s) => socket.emit('session:snapshot', s));
      if (!snapshot) {
        socket.disconnect(true);
        return;
      }
      this.metrics.sessions.set(this.broadcaster.localSessionIds().length);
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
      await this.group.socketLeft(sessionId, socket.id);
    } catch (err) {
      this.logger.warn(`disconnect ${socket.id}: ${(err as Error).message}`);
    }
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
    await this.router.idle(DRAIN_ACKS_MS);
    for (const socket of this.server?.of('/').sockets.values() ?? []) socket.conn.close();
    const deadline = this.clock.now() + DRAIN_PRESENCE_MS;
    while (this.pending.size > 0 && this.clock.now() < deadline) {
      await Promise.race([...this.pending, this.clock.sleep(DRAIN_POLL_MS)]);
    }
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    return work.finally(() => this.pending.delete(work));
  }

  onModuleDestroy() {
    this.refresher?.cancel();
  }
}
