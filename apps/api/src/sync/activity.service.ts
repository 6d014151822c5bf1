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
