import { Injectable } from '@nestjs/common';
import { type ChatMessage, LIMITS } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { notFound } from './ack';
import { loadActor } from './actor';
import { Broadcaster } from '../realtime/broadcaster';
import type { SocketData } from '../realtime/socket-types';

@Injectable()
export class ChatService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
  ) {}

  /** Stored before it is announced: an acknowledged message survives a replica restart. */
  async send(ctx: SocketData, text: string): Promise<ChatMessage> {
    const { participant } = await loadActor(this.sessions, ctx);
    const message: ChatMessage = {
      id: newId(),
      participantId: participant.id,
      name: participant.name,
      text,
      at: this.clock.now(),
    };
    const stored = await this.sessions.appendChat(ctx.sessionId, message, LIMITS.chatHistory, SESSION_TTL_MS);
    if (!stored) throw notFound('this party no longer exists');
    this.broadcaster.toSession(ctx.sessionId, 'chat:message', message);
    return message;
  }
}
