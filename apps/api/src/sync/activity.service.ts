import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type ActivityEvent, type ChatMessage, LIMITS } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { Broadcaster } from '../realtime/broadcaster';
import { SessionRepository } from '../session/session.repository';

/** A quick repeat of the same event by the same person within this long updates the previous line. */
export const ACTIVITY_MERGE_MS = 2000;

/** Who did something: a participant, or null for the server (host migration, the queue moving on). */
export interface Doer {
  id: string;
  name: string;
}

/**
 * The party's activity as system chat lines, stored in the chat history and announced as
 * `chat:message`. A merged line is announced again with its first id and the newest text.
 * Recording never fails the action it reports: a lost line is only logged.
 */
@Injectable()
export class ActivityService implements OnModuleDestroy {
  private readonly logger = new Logger('Activity');
  /** Set once the app shuts down: the sockets leaving then are not news, and Redis may be gone. */
  private closing = false;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
  ) {}

  onModuleDestroy() {
    this.closing = true;
  }

  async record(sessionId: string, event: ActivityEvent, by: Doer | null, text: string, detail?: string): Promise<void> {
    if (this.closing) return;
    const message: ChatMessage = {
      id: newId(),
      participantId: by?.id ?? '',
      name: by?.name ?? '',
      text,
      at: this.clock.now(),
      kind: 'system',
      system: { event, by: by?.id ?? null, ...(detail === undefined ? {} : { detail }) },
    };
    // After what it reports: the states and updates this turn of the event loop sends go out
    // first. Run inline, each host's command sent its line to the whole party before the next
    // host's state went out, and 5 parties of 200 commanding at once waited behind twice the
    // sends (fan-out p99 at 1000 clients on one replica 1.8x bare Socket.IO's).
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closing) return;
    try {
      const stored = await this.sessions.appendActivity(sessionId, message, ACTIVITY_MERGE_MS, LIMITS.chatHistory, SESSION_TTL_MS);
      if (stored && !this.closing) this.broadcaster.toSession(sessionId, 'chat:message', stored);
    } catch (err) {
      this.logger.warn(`session ${sessionId}: ${event} not recorded: ${(err as Error).message}`);
    }
  }
}

/** A position as people read it: 1:02:03 or 4:05. */
export function clockTime(seconds: number): string {
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
