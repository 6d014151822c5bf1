import { Injectable, Logger } from '@nestjs/common';
import {
  type Ack,
  type ClientToServerEvents,
  clientEventSchemas,
  describeZodError,
  LIMITS,
} from '@watch-party/contracts';
import type { z } from 'zod';
import { Clock } from '../common/clock';
import { RateLimiter } from '../limits/rate-limiter';
import { Metrics } from '../ops/metrics';
import { AckFailure } from './ack';
import { ChatService } from './chat.service';
import { GroupService } from './group.service';
import { PlaybackService } from './playback.service';
import { QueueService } from './queue.service';
import type { AppSocket, SocketData } from '../realtime/socket-types';

type EventName = keyof ClientToServerEvents;
const EVENT_NAMES = Object.keys(clientEventSchemas) as EventName[];
type Payload<E extends EventName> = z.infer<(typeof clientEventSchemas)[E]>;
type Handler<E extends EventName> = (ctx: SocketData, payload: Payload<E>) => Promise<object>;

/**
 * Which limit an event counts against: `control`, `chat` and `reaction` are per participant across
 * replicas (Redis); `local` (clock pings, status reports) per socket, so a ping's answer
 * never waits on Redis and its round trip stays honest.
 */
const BUCKET: Record<EventName, 'control' | 'chat' | 'reaction' | 'local'> = {
  'time:ping': 'local',
  'participant:status': 'local',
  'playback:control': 'control',
  'source:set': 'control',
  'role:set': 'control',
  'session:settings': 'control',
  'participant:kick': 'control',
  'chat:send': 'chat',
  'queue:add': 'control',
  'queue:remove': 'control',
  'queue:move': 'control',
  'queue:next': 'control',
  'reaction:send': 'reaction',
};
/** Events a second per participant, for the buckets counted across replicas. */
const PER_SEC = {
  control: LIMITS.controlEventsPerSec,
  chat: LIMITS.chatMessagesPerSec,
  reaction: LIMITS.reactionsPerSec,
} as const;
/** Per socket, for the `local` bucket. */
export const LOCAL_EVENTS_PER_SEC = 20;
/** Every bucket counts events in windows this long. */
const RATE_WINDOW_MS = 1000;
/** Longest event name echoed back in an "unknown event" answer. */
const MAX_ECHOED_NAME = 64;

/**
 * What the router needs of a socket: the handshake's data (who sends) and a stable identity
 * (each socket has its own local window). A Socket.IO socket is one; unit tests pass a plain object.
 */
export type EventSource = Pick<AppSocket, 'id' | 'data'>;

/** Validates, rate-limits and dispatches every client event; always answers the ack. */
@Injectable()
export class EventRouter {
  private readonly logger = new Logger('Events');
  private readonly localWindows = new WeakMap<EventSource, { start: number; count: number }>();
  private readonly handlers: { [E in EventName]: Handler<E> };
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    playback: PlaybackService,
    chat: ChatService,
    group: GroupService,
    queue: QueueService,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.handlers = {
      'time:ping': async (_ctx, p) => ({ t0: p.t0, serverTime: this.clock.now() }),
      'playback:control': async (ctx, p) => ({ state: await playback.control(ctx, p) }),
      'source:set': async (ctx, p) => ({ state: await playback.setSource(ctx, p.source) }),
      'participant:status': async (ctx, p) => (await group.reportStatus(ctx, p), {}),
      'chat:send': async (ctx, p) => ({ message: await chat.send(ctx, p.text, p.clientId) }),
      'role:set': async (ctx, p) => (await group.setRole(ctx, p.participantId, p.role), {}),
      'session:settings': async (ctx, p) => ({ session: await group.updateSettings(ctx, p) }),
      'participant:kick': async (ctx, p) => (await group.kick(ctx, p.participantId, p.ban), {}),
      'queue:add': async (ctx, p) => ({ item: await queue.add(ctx, p) }),
      'queue:remove': async (ctx, p) => (await queue.remove(ctx, p.itemId), {}),
      'queue:move': async (ctx, p) => (await queue.move(ctx, p.itemId, p.index), {}),
      'queue:next': async (ctx) => ({ state: await queue.next(ctx) }),
      'reaction:send': async (ctx, p) => (await chat.react(ctx, p.emoji), {}),
    };
  }

  attach(socket: AppSocket) {
    for (const event of EVENT_NAMES) {
      socket.on(event, ((payload: unknown, ack: unknown) => void this.receive(socket, event, payload, ack)) as never);
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (!isEventName(event)) void this.receive(socket, event, ...args);
    });
  }

  /**
   * One event as a client sent it (`args`: the payload, then the ack callback): validated,
   * rate-limited and handled; the ack, when there is one, is always answered. Resolves once it is.
   */
  async receive(socket: EventSource, event: unknown, ...args: unknown[]): Promise<void> {
    if (!isEventName(event)) {
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack(fail('BAD_REQUEST', `unknown event "${String(event).slice(0, MAX_ECHOED_NAME)}"`));
      return;
    }
    await this.dispatch(socket, event, args[0], args[1]);
  }

  /** Resolves when no event is being handled (or after `maxMs`): shutdown finishes acks first. */
  idle(maxMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, maxMs);
      this.idleWaiters.push(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  private async dispatch<E extends EventName>(socket: EventSource, event: E, payload: unknown, ack: unknown) {
    const started = process.hrtime.bigint();
    this.inflight++;
    const reply = (answer: Ack<object>) => {
      this.metrics.events.inc({ event, outcome: answer.ok ? 'ok' : answer.error.code });
      this.metrics.ackLatency.observe({ event }, Number(process.hrtime.bigint() - started) / 1e9);
      if (typeof ack === 'function') ack(answer);
    };
    try {
      await this.handle(socket, event, payload, ack, reply);
    } finally {
      if (--this.inflight === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
    }
  }

  private async handle<E extends EventName>(
    socket: EventSource,
    event: E,
    payload: unknown,
    ack: unknown,
    reply: (answer: Ack<object>) => void,
  ) {
    try {
      if (typeof ack !== 'function' && typeof payload === 'function') {
        return (payload as (a: Ack<object>) => void)(fail('BAD_REQUEST', 'missing payload'));
      }
      const parsed = clientEventSchemas[event].safeParse(payload);
      if (!parsed.success) return reply(fail('BAD_REQUEST', describeZodError(parsed.error)));
      if (!(await this.allow(socket, event))) {
        this.metrics.rateLimited.inc({ kind: BUCKET[event] });
        return reply(fail('RATE_LIMITED', 'too many events; slow down'));
      }
      const result = await this.handlers[event](socket.data, parsed.data as Payload<E>);
      reply({ ok: true, ...result });
    } catch (err) {
      if (err instanceof AckFailure) return reply(err.toAck());
      this.logger.error(`${event} from ${socket.id}: ${(err as Error).stack ?? String(err)}`);
      reply(fail('INTERNAL', 'something went wrong on the server; try again'));
    }
  }

  private async allow(socket: EventSource, event: EventName): Promise<boolean> {
    const bucket = BUCKET[event];
    if (bucket === 'local') {
      const now = this.clock.now();
      const w = this.localWindows.get(socket);
      if (!w || now - w.start >= RATE_WINDOW_MS) {
        this.localWindows.set(socket, { start: now, count: 1 });
        return true;
      }
      return ++w.count <= LOCAL_EVENTS_PER_SEC;
    }
    const { sessionId, participantId } = socket.data;
    const limit = PER_SEC[bucket];
    const { count } = await this.limiter.hit(`${bucket}:${sessionId}:${participantId}`, RATE_WINDOW_MS);
    return count <= limit;
  }
}

function isEventName(event: unknown): event is EventName {
  return typeof event === 'string' && Object.hasOwn(clientEventSchemas, event);
}

function fail(code: 'BAD_REQUEST' | 'RATE_LIMITED' | 'INTERNAL', message: string): Ack<object> {
  return { ok: false, error: { code, message } };
}
