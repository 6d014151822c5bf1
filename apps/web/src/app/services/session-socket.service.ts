import { DestroyRef, Injectable, InjectionToken, computed, inject, signal } from '@angular/core';
import {
  FINAL_HANDSHAKE_ERRORS,
  handshakeErrorCode,
  type Ack,
  type AckError,
  type ChatMessage,
  type ClientToServerEvents,
  type HandshakeErrorCode,
  type Media,
  type MediaProgress,
  type Participant,
  type PlaybackState,
  type QueueItem,
  type Reaction,
  type ServerToClientEvents,
  type SessionInfo,
  type SessionSnapshot,
} from '@watch-party/contracts';
import { io, type Socket } from 'socket.io-client';

export type SessionSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Opens the (not yet connected) socket for a participant token; replaced in tests. */
export const SOCKET_FACTORY = new InjectionToken<(token: string) => SessionSocket>('SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (token: string) =>
    io({
      path: '/socket.io',
      auth: { token },
      transports: ['websocket', 'polling'],
      autoConnect: false,
      // A replica restarting moves everyone at once: first retry after 250-750 ms, spread
      // out so the survivors are not hit in lockstep (the fault tests use the same values).
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
    }),
});

/**
 * - `connecting`: first connection attempt(s), nothing received yet
 * - `connected`: live; a snapshot arrives right after every (re)connect
 * - `reconnecting`: the connection dropped after having been up; we retry
 * - `rejected`: the server refused the handshake for good (see `rejection`, `problem`); no more retries
 * - `kicked`: the host removed us (see `problem`)
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'rejected' | 'kicked';

/** Refusals that mean the stored pass is useless: the participant must join again. */
export const CREDENTIAL_REJECTIONS: readonly HandshakeErrorCode[] = ['TOKEN_INVALID', 'TOKEN_EXPIRED', 'NOT_A_PARTICIPANT'];

export function isCredentialRejection(code: HandshakeErrorCode | null): boolean {
  return code !== null && CREDENTIAL_REJECTIONS.includes(code);
}

const CHAT_KEEP = 200;
const SERVER_DISCONNECT_RETRY_MS = 1000;
/**
 * A refusal that may pass (SERVER_RESTARTING, TOO_MANY_CONNECTIONS, no code) is retried on a
 * fresh connection, so the load balancer may pick another replica: the first retry after
 * 250-750 ms, doubling up to 5 s, spread out like socket.io's own reconnection.
 */
export const REFUSED_RETRY_MIN_MS = 500;
export const REFUSED_RETRY_MAX_MS = 5000;
const REFUSED_RETRY_JITTER = 0.5;

/** Delay before retry number `attempt` (0-based) after a refusal; `random` is in [0, 1). */
export function refusedRetryDelayMs(attempt: number, random: number): number {
  const base = REFUSED_RETRY_MIN_MS * 2 ** attempt;
  return Math.round(Math.min(REFUSED_RETRY_MAX_MS, base * (1 - REFUSED_RETRY_JITTER + 2 * REFUSED_RETRY_JITTER * random)));
}
/** An ack that has not arrived after this long is reported as a failure. */
export const REQUEST_TIMEOUT_MS = 5000;
/**
 * Requests in a row that got no answer in time while the socket still looked connected: then the
 * connection is treated as dead and replaced. Socket.IO's heartbeat notices a frozen server by
 * itself (SOCKET_PING_INTERVAL_MS + SOCKET_PING_TIMEOUT_MS, 8 s by default), but only as fast as
 * the server configures it; this is the client's own bound.
 */
export const STALLED_REQUESTS_BEFORE_RECONNECT = 2;
export const NOT_CONNECTED_MESSAGE = 'Not connected to the party';
export const NO_ANSWER_MESSAGE = 'The server did not answer in time';

export type ClientEvent = keyof ClientToServerEvents;
export type EventPayload<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];
/** The acknowledgement of event E: `{ ok: true, ...result }` or `{ ok: false, error }`. */
export type EventAck<E extends ClientEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

function localFailure(message: string): AckError {
  return { ok: false, error: { code: 'INTERNAL', message } };
}

/** One Socket.IO connection to a party; provide it per watch page. */
@Injectable()
export class SessionSocketService {
  private readonly createSocket = inject(SOCKET_FACTORY);
  private socket: SessionSocket | null = null;
  private everConnected = false;
  /** Refusals in a row since the last successful connect (drives the retry delay). */
  private refusals = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests in a row that timed out on the current connection (see STALLED_REQUESTS_BEFORE_RECONNECT). */
  private stalledRequests = 0;
  private readonly mediaProgressListeners = new Set<(progress: MediaProgress) => void>();
  private readonly reactionListeners = new Set<(reaction: Reaction) => void>();

  readonly status = signal<ConnectionStatus>('idle');
  /** Why the server refused or kicked us, or the last transport error while retrying (for people). */
  readonly problem = signal<string | null>(null);
  /** The code of a final handshake refusal (status `rejected`): what the client acts on. */
  readonly rejection = signal<HandshakeErrorCode | null>(null);
  readonly session = signal<SessionInfo | null>(null);
  readonly you = signal<Participant | null>(null);
  readonly participants = signal<Participant[]>([]);
  readonly playback = signal<PlaybackState | null>(null);
  readonly chat = signal<ChatMessage[]>([]);
  /** The media item behind a `{ kind: 'media' }` source, as of the last snapshot. */
  readonly snapshotMedia = signal<Media | null>(null);
  readonly hasSnapshot = computed(() => this.you() !== null);
  /** What plays next (kept current by `queue:update`). */
  readonly queue = computed<QueueItem[]>(() => this.session()?.queue ?? []);
  /** +1 on every successful (re)connect: consumers restart per-connection work (clock pings). */
  readonly connectionCount = signal(0);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.disconnect());
  }

  connect(token: string): void {
    this.disconnect();
    this.reset();
    this.status.set('connecting');
    this.open(token);
  }

  private open(token: string): void {
    const socket = this.createSocket(token);
    this.socket = socket;

    socket.on('connect', () => {
      this.everConnected = true;
      this.refusals = 0;
      this.stalledRequests = 0;
      this.problem.set(null);
      this.status.set('connected');
      this.connectionCount.update((n) => n + 1);
    });
    socket.on('disconnect', (reason) => {
      if (this.status() === 'kicked' || reason === 'io client disconnect') return;
      this.status.set(this.everConnected ? 'reconnecting' : 'connecting');
      // The server closed us on purpose: socket.io does not retry that by itself. If our
      // token is no longer accepted, the next handshake says so through connect_error.
      if (reason === 'io server disconnect') {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (this.socket === socket) socket.connect();
        }, SERVER_DISCONNECT_RETRY_MS);
      }
    });
    socket.on('connect_error', (error) => {
      // Decided from the code the server put in `error.data`, never from the message.
      const code = handshakeErrorCode(error);
      if (code !== null && FINAL_HANDSHAKE_ERRORS.includes(code)) {
        this.rejection.set(code);
        this.problem.set(error.message || 'Connection refused');
        this.status.set('rejected');
        this.teardown();
        return;
      }
      this.problem.set(error.message || null);
      this.status.set(this.everConnected ? 'reconnecting' : 'connecting');
      // A refusal by the server's handshake middleware: socket.io does not retry it by itself
      // (a transport failure leaves the socket active, and socket.io retries).
      if (!socket.active) this.retryAfterRefusal(token);
    });
    socket.on('session:snapshot', (snapshot) => this.applySnapshot(snapshot));
    socket.on('participants:update', (participants) => {
      this.participants.set(participants);
      const you = this.you();
      if (you) this.you.set(participants.find((p) => p.id === you.id) ?? you);
    });
    socket.on('session:update', (session) => this.session.set(session));
    socket.on('playback:state', (state) => {
      const current = this.playback();
      if (!current || state.rev > current.rev) this.playback.set(state);
    });
    socket.on('chat:message', (message) => {
      // The same id again is an activity line the server merged (rapid repeats): replace it.
      this.chat.update((chat) =>
        chat.some((m) => m.id === message.id)
          ? chat.map((m) => (m.id === message.id ? message : m))
          : [...chat, message].slice(-CHAT_KEEP),
      );
    });
    socket.on('queue:update', (queue) => {
      this.session.update((session) => (session ? { ...session, queue } : session));
    });
    socket.on('reaction', (reaction) => {
      for (const listener of [...this.reactionListeners]) listener(reaction);
    });
    socket.on('media:progress', (progress) => {
      for (const listener of [...this.mediaProgressListeners]) listener(progress);
    });
    socket.on('session:kicked', ({ reason }) => {
      this.problem.set(reason || 'The host removed you from this party');
      this.status.set('kicked');
      this.teardown();
    });

    socket.connect();
  }

  /**
   * Calls `listener` with every `media:progress` (transcoding of any media item), across
   * reconnects, until the returned function is called.
   */
  onMediaProgress(listener: (progress: MediaProgress) => void): () => void {
    this.mediaProgressListeners.add(listener);
    return () => this.mediaProgressListeners.delete(listener);
  }

  /** Calls `listener` with every reaction anyone sends (not stored: only live ones), until the returned function is called. */
  onReaction(listener: (reaction: Reaction) => void): () => void {
    this.reactionListeners.add(listener);
    return () => this.reactionListeners.delete(listener);
  }

  /** True while the socket is up (events sent now reach the server). */
  get isConnected(): boolean {
    return this.socket?.connected ?? false;
  }

  /**
   * Sends a client event and resolves with its acknowledgement. Never rejects: while
   * offline or when the server does not answer in time it resolves with a local failure,
   * so a stale command is never queued and replayed after a reconnect.
   */
  request<E extends ClientEvent>(
    event: E,
    payload: EventPayload<E>,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<EventAck<E>> {
    const socket = this.socket;
    if (!socket?.connected) return Promise.resolve(localFailure(NOT_CONNECTED_MESSAGE));
    type TimedEmit = (event: string, payload: unknown, ack: (err: Error | null, answer: Ack<object>) => void) => void;
    const timed = socket.timeout(timeoutMs) as unknown as { emit: TimedEmit };
    return new Promise((resolve) => {
      timed.emit(event, payload, (err, answer) => {
        if (err) this.onStalledRequest(socket);
        else if (socket === this.socket) this.stalledRequests = 0;
        resolve((err ? localFailure(NO_ANSWER_MESSAGE) : answer) as EventAck<E>);
      });
    });
  }

  /**
   * The watchdog: a connection that "is connected" yet leaves request after request unanswered
   * is dead in all but name (a frozen server, a half-open TCP connection). Close the transport:
   * socket.io reports a disconnect (the page shows "Reconnecting") and reconnects by itself.
   */
  private onStalledRequest(socket: SessionSocket): void {
    if (socket !== this.socket || !socket.connected) return;
    if (++this.stalledRequests < STALLED_REQUESTS_BEFORE_RECONNECT) return;
    this.stalledRequests = 0;
    this.dropConnection();
  }

  /** Test hook: closes the transport as a network drop would; socket.io reconnects by itself. */
  dropConnection(): void {
    this.socket?.io.engine?.close();
  }

  disconnect(): void {
    this.teardown();
    if (this.status() !== 'kicked' && this.status() !== 'rejected') this.status.set('idle');
  }

  private applySnapshot(snapshot: SessionSnapshot): void {
    this.snapshotMedia.set(snapshot.media ?? null);
    this.session.set(snapshot.session);
    this.you.set(snapshot.you);
    this.participants.set(snapshot.participants);
    this.playback.set(snapshot.state);
    this.chat.set(snapshot.chat.slice(-CHAT_KEEP));
  }

  private retryAfterRefusal(token: string): void {
    this.teardown();
    this.retryTimer = setTimeout(() => this.open(token), refusedRetryDelayMs(this.refusals++, Math.random()));
  }

  private teardown(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
  }

  private reset(): void {
    this.everConnected = false;
    this.refusals = 0;
    this.problem.set(null);
    this.rejection.set(null);
    this.session.set(null);
    this.you.set(null);
    this.participants.set([]);
    this.playback.set(null);
    this.chat.set([]);
    this.snapshotMedia.set(null);
  }
}
