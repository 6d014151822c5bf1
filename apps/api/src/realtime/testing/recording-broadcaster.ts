import type { ServerToClientEvents } from '@watch-party/contracts';
import { Broadcaster } from '../broadcaster';

type Events = ServerToClientEvents;
type EventName = keyof Events;

/** Whom an emit was addressed to. */
export type Audience = { session: string } | { participant: string } | 'everyone';

/** One emit as recorded: copied like the wire would (later changes to the objects do not show). */
export interface Emitted<E extends EventName = EventName> {
  to: Audience;
  event: E;
  args: Parameters<Events[E]>;
}

type Log = { [E in EventName]: Emitted<E>[] };

/**
 * A Broadcaster without a server, for unit tests: records every emit and every disconnect in
 * order. `localSessions` stands for the session rooms with a socket on this replica.
 */
export class RecordingBroadcaster extends Broadcaster {
  /** Every emit, oldest first. */
  readonly emitted: Emitted[] = [];
  /** Participants whose sockets were closed, in order. */
  readonly disconnected: string[] = [];
  readonly localSessions = new Set<string>();
  private readonly byEvent: Log = {
    'session:snapshot': [],
    'playback:state': [],
    'participants:update': [],
    'chat:message': [],
    'session:kicked': [],
    'session:update': [],
    'media:progress': [],
    'queue:update': [],
    reaction: [],
  };

  override toSession<E extends EventName>(sessionId: string, event: E, ...args: Parameters<Events[E]>) {
    this.record({ session: sessionId }, event, args);
  }

  override toParticipant<E extends EventName>(participantId: string, event: E, ...args: Parameters<Events[E]>) {
    this.record({ participant: participantId }, event, args);
  }

  override toAll<E extends EventName>(event: E, ...args: Parameters<Events[E]>) {
    this.record('everyone', event, args);
  }

  override disconnectParticipant(participantId: string) {
    this.disconnected.push(participantId);
  }

  override localSessionIds(): string[] {
    return [...this.localSessions];
  }

  /** The first argument of every `event` emitted (to `to`, when given), oldest first. */
  sent<E extends EventName>(event: E, to?: Audience): Parameters<Events[E]>[0][] {
    const list: Emitted<E>[] = this.byEvent[event];
    return list.filter((e) => to === undefined || sameAudience(e.to, to)).map((e) => e.args[0]);
  }

  /** The last `event` emitted (to `to`, when given); throws when there is none. */
  last<E extends EventName>(event: E, to?: Audience): Parameters<Events[E]>[0] {
    const all = this.sent(event, to);
    if (all.length === 0) throw new Error(`nothing was emitted as ${event}`);
    return all[all.length - 1];
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    this.emitted.length = 0;
    this.disconnected.length = 0;
    for (const list of Object.values(this.byEvent)) list.length = 0;
  }

  private record<E extends EventName>(to: Audience, event: E, args: Parameters<Events[E]>) {
    const entry: Emitted<E> = { to, event, args: structuredClone(args) };
    const list: Emitted<E>[] = this.byEvent[event];
    list.push(entry);
    this.emitted.push(entry);
  }
}

function sameAudience(a: Audience, b: Audience): boolean {
  if (a === 'everyone' || b === 'everyone') return a === b;
  if ('session' in a) return 'session' in b && a.session === b.session;
  return 'participant' in b && a.participant === b.participant;
}
