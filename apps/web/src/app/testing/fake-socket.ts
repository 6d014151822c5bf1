import type { HandshakeErrorCode, HandshakeErrorData, SessionSnapshot } from '@watch-party/contracts';
import type { SessionSocket } from '../services/session-socket.service';
import { sessionInfo } from './session';

type Handler = (...args: unknown[]) => void;
type AckCallback = (err: Error | null, answer?: unknown) => void;

export interface EmittedEvent {
  event: string;
  payload: unknown;
  ack: AckCallback;
}

/** Just enough of socket.io-client's Socket for the services: handlers, connect, emit with acks. */
export class FakeSocket {
  readonly handlers = new Map<string, Handler[]>();
  /** Every client event sent (through `timeout(ms).emit`), oldest first. */
  readonly emitted: EmittedEvent[] = [];
  /** Answers events at once when it returns something; else the test acks by hand. */
  responder: ((event: string, payload: unknown) => unknown) | null = null;
  connectCalls = 0;
  disconnected = false;
  active = true;
  connected = false;
  engineClosed = 0;
  readonly io = { engine: { close: () => this.engineClosed++ } };

  constructor(readonly token: string) {}

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  once(event: string, handler: Handler): this {
    const wrapped: Handler = (...args) => {
      this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => h !== wrapped));
      handler(...args);
    };
    return this.on(event, wrapped);
  }

  connect(): this {
    this.connectCalls++;
    return this;
  }

  disconnect(): this {
    this.disconnected = true;
    this.active = false;
    this.connected = false;
    return this;
  }

  /** `socket.timeout(ms)`: the fake never times out by itself; tests ack with an error instead. */
  timeout(): { emit: (event: string, payload: unknown, ack: AckCallback) => void } {
    return {
      emit: (event, payload, ack) => {
        this.emitted.push({ event, payload, ack });
        const answer = this.responder?.(event, payload);
        if (answer !== undefined) ack(null, answer);
      },
    };
  }

  /** Events sent with this name. */
  sent(event: string): EmittedEvent[] {
    return this.emitted.filter((e) => e.event === event);
  }

  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }

  /** Simulates the server (or socket.io itself) firing `event`. */
  fire(event: string, ...args: unknown[]): void {
    if (event === 'connect') this.connected = true;
    if (event === 'disconnect') this.connected = false;
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }

  asSocket(): SessionSocket {
    return this as unknown as SessionSocket;
  }
}

/** A `connect_error` as socket.io-client hands it over after the server refused the handshake. */
export function handshakeError(code: HandshakeErrorCode, message: string = code): Error & { data: HandshakeErrorData } {
  return Object.assign(new Error(message), { data: { code } });
}

export function snapshotFor(sessionId: string, youId: string, others: { id: string; name: string }[] = []): SessionSnapshot {
  const you = { id: youId, name: 'Ann', role: 'host' as const, connected: true, status: 'ready' as const, driftMs: null };
  return {
    session: sessionInfo({ id: sessionId, participantCount: 1 + others.length }),
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
