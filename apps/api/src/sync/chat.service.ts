import { Injectable } from '@nestjs/common';
import { type ChatMessage, LIMITS, type ReactionEmoji } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { SessionRepository } from '../session/session.repository';
import { CHAT_RETRY_WINDOW_MS, SESSION_TTL_MS } from '../common/lifetimes';
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

  /**
   * Stored before it is announced: an acknowledged message survives a replica restart. With a
   * `clientId`, a retry (same sender, same clientId, within CHAT_RETRY_WINDOW_MS, any replica)
   * answers with the first message and announces nothing.
   */
  async send(ctx: SocketData, text: string, clientId?: string): Promise<ChatMessage> {
    const { participant } = await loadActor(this.sessions, ctx);
    const message: ChatMessage = {
      id: newId(),
      participantId: participant.id,
      name: participant.name,
      text,
      at: this.clock.now(),
      kind: 'user',
    };
    if (clientId !== undefined) {
      const standing = await this.sessions.appendChatOnce(
        ctx.sessionId,
        message,
        clientId,
        LIMITS.chatHistory,
        CHAT_RETRY_WINDOW_MS,
        SESSION_TTL_MS,
      );
      if (!standing) throw notFound('this party no longer exists');
      if (standing.id !== message.id) return standing;
      this.broadcaster.toSession(ctx.sessionId, 'chat:message', message);
      return message;
    }
    const stored = await this.sessions.appendChat(ctx.sessionId, message, LIMITS.chatHistory, SESSION_TTL_MS);
    if (!stored) throw notFound('this party no longer exists');
    this.broadcaster.toSession(ctx.sessionId, 'chat:message', message);
    return message;
  }

  /** A reaction goes to everyone in the party at once and is not stored. */
  async react(ctx: SocketData, emoji: ReactionEmoji): Promise<void> {
    const { participant } = await loadActor(this.sessions, ctx);
    this.broadcaster.toSession(ctx.sessionId, 'reaction', { participantId: participant.id, emoji, at: this.clock.now() });
  }
}
