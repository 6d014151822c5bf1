import type { Ack, SessionSnapshot } from '@watch-party/contracts';
import { newId } from '../../common/ids';
import { Metrics } from '../../ops/metrics';
import { RecordingBroadcaster } from '../../realtime/testing/recording-broadcaster';
import type { SessionKit } from '../../session/testing/session-kit';
import { ActivityService } from '../activity.service';
import { ChatService } from '../chat.service';
import { EventRouter, type EventSource } from '../event-router';
import { GroupService } from '../group.service';
import { PlaybackService } from '../playback.service';
import { PresenceService } from '../presence.service';
import { QueueService } from '../queue.service';
import { SupervisorService } from '../supervisor.service';

/** A socket as the services see it: who it is, and where it is connected. */
export interface FakeSocket extends EventSource {
  snapshot: SessionSnapshot;
}

/**
 * One API replica's sync services, wired as the SyncModule wires them, over a kit's shared
 * store and clock; its Broadcaster records instead of emitting. `connect`/`disconnect` do what
 * the gateway does for a socket that passed (or left after) the handshake.
 */
export class Replica {
  readonly broadcaster = new RecordingBroadcaster();
  readonly metrics = new Metrics();
  readonly presence: PresenceService;
  readonly playback: PlaybackService;
  readonly activity: ActivityService;
  readonly queue: QueueService;
  readonly chat: ChatService;
  readonly supervisor: SupervisorService;
  readonly group: GroupService;
  readonly router: EventRouter;
  private readonly sockets = new Set<FakeSocket>();

  constructor(kit: SessionKit) {
    const { sessions, clock, catalog, limiter } = kit;
    const sessionService = kit.sessionService(this.metrics);
    this.presence = new PresenceService(sessions, sessionService, clock, catalog);
    this.activity = new ActivityService(sessions, this.broadcaster, clock);
    this.playback = new PlaybackService(sessions, sessionService, this.broadcaster, clock, catalog, this.activity);
    this.queue = new QueueService(sessions, sessionService, this.playback, this.broadcaster, clock, catalog, this.activity);
    this.chat = new ChatService(sessions, this.broadcaster, clock);
    this.supervisor = new SupervisorService(sessions, this.presence, this.playback, this.broadcaster, clock, this.queue, this.activity);
    this.group = new GroupService(sessions, sessionService, this.presence, this.broadcaster, this.supervisor, clock, this.queue, this.activity);
    this.router = new EventRouter(this.playback, this.chat, this.group, this.queue, limiter, clock, this.metrics);
  }

  /** Starts the timers a running replica has (the supervisor's sweep). */
  start(): this {
    this.supervisor.onModuleInit();
    return this;
  }

  stop(): void {
    this.supervisor.onModuleDestroy();
    this.group.onModuleDestroy();
    this.queue.onModuleDestroy();
  }

  /** A socket of `participantId` joins its session's room here and counts as present. */
  async connect(sessionId: string, participantId: string, name = 'someone'): Promise<FakeSocket> {
    const id = newId();
    this.broadcaster.localSessions.add(sessionId);
    // The snapshot is recorded as an emit to the participant, in order with everything else.
    const snapshot = await this.group.socketJoined(sessionId, id, participantId, (s) =>
      this.broadcaster.toParticipant(participantId, 'session:snapshot', s),
    );
    if (!snapshot) throw new Error(`${participantId} could not connect to ${sessionId}`);
    const socket: FakeSocket = { id, data: { sessionId, participantId, name }, snapshot };
    this.sockets.add(socket);
    return socket;
  }

  /** The socket closed (the room is left when no other socket of that session is here). */
  async disconnect(socket: FakeSocket): Promise<void> {
    this.sockets.delete(socket);
    const { sessionId } = socket.data;
    if (![...this.sockets].some((s) => s.data.sessionId === sessionId)) this.broadcaster.localSessions.delete(sessionId);
    await this.group.socketLeft(sessionId, socket.id);
  }

  /** Sends `event` as the client would, and returns the ack it got. */
  async send(socket: EventSource, event: string, payload?: unknown): Promise<Ack<object>> {
    const acks: Ack<object>[] = [];
    await this.router.receive(socket, event, payload, (answer: Ack<object>) => acks.push(answer));
    if (acks.length !== 1) throw new Error(`${event}: ${acks.length} acks`);
    return acks[0];
  }
}
