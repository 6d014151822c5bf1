import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ServerToClientEvents } from '@watch-party/contracts';
import { type AppServer, participantRoom, sessionRoom } from './socket-types';

/**
 * Emits to rooms on every replica (through the adapter); the gateway hands it the server.
 * Once the app is being torn down (after the drain, when the clients are already gone) emits
 * are dropped: the Redis adapter's publish would reject unobserved once Redis has quit.
 */
@Injectable()
export class Broadcaster implements OnModuleDestroy {
  private server: AppServer | null = null;

  attach(server: AppServer) {
    this.server = server;
  }

  onModuleDestroy() {
    this.server = null;
  }

  toSession<E extends keyof ServerToClientEvents>(
    sessionId: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) {
    this.server?.to(sessionRoom(sessionId)).emit(event, ...args);
  }

  toParticipant<E extends keyof ServerToClientEvents>(
    participantId: string,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) {
    this.server?.to(participantRoom(participantId)).emit(event, ...args);
  }

  /** Every connected client, on every replica. */
  toAll<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>) {
    this.server?.emit(event, ...args);
  }

  /** Close every socket of a participant, wherever it is connected. */
  disconnectParticipant(participantId: string) {
    this.server?.in(participantRoom(participantId)).disconnectSockets(true);
  }

  /** Session rooms with at least one socket on this replica. */
  localSessionIds(): string[] {
    if (!this.server) return [];
    return [...this.server.of('/').adapter.rooms.keys()]
      .filter((room) => room.startsWith('s:'))
      .map((room) => room.slice(2));
  }
}
