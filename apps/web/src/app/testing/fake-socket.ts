import type { SessionSnapshot } from '@watch-party/contracts';
import type { SessionSocket } from '../services/session-socket.service';

type Handler = (...args: unknown[]) => void;

/** Just enough of socket.io-client's Socket for the service: handlers, connect, active. */
export class FakeSocket {
  readonly handlers = new Map<string, Handler[]>();
  connectCalls = 0;
  disconnected = false;
  active = true;

  constructor(readonly token: string) {}

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  connect(): this {
    this.connectCalls++;
    return this;
  }

  disconnect(): this {
    this.disconnected = true;
    this.active = false;
    return this;
  }

  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }

  /** Simulates the server (or socket.io itself) firing `event`. */
  fire(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }

  asSocket(): SessionSocket {
    return this as unknown as SessionSocket;
  }
}

export function snapshotFor(sessionId: string, youId: string, others: { id: string; name: string }[] = []): SessionSnapshot {
  const you = { id: youId, name: 'Ann', role: 'host' as const, connected: true, status: 'ready' as const, driftMs: null };
  return {
    session: {
      id: sessionId,
      name: 'Movie night',
      hasPassword: false,
      createdAt: '2026-01-01T00:00:00.000Z',
      controlPolicy: 'host',
      participantCount: 1 + others.length,
      source: null,
      waitForBuffering: false,
    },
    you,
    participants: [
      you,
      ...others.map((o) => ({ ...o, role: 'viewer' as const, connected: true, status: 'ready' as const, driftMs: null })),
    ],
    state: { playing: false, position: 0, rate: 1, at: 0, rev: 0, by: null, action: 'init' },
    chat: [],
    serverTime: 0,
  };
}
