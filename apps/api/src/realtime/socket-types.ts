import type { ClientToServerEvents, ServerToClientEvents } from '@watch-party/contracts';
import type { Server, Socket } from 'socket.io';

/** What the handshake established about a socket. */
export interface SocketData {
  sessionId: string;
  participantId: string;
  name: string;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InterServerEvents = {};
export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const sessionRoom = (sessionId: string) => `s:${sessionId}`;
export const participantRoom = (participantId: string) => `p:${participantId}`;
