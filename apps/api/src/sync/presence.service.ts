import { Injectable } from '@nestjs/common';
import { type ChatMessage, LIMITS, type Participant, type SessionSnapshot } from '@watch-party/contracts';
import { Clock } from '../common/clock';
import { MediaCatalog } from '../media/media-catalog';
import { SessionRepository } from '../session/session.repository';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { SessionService } from '../session/session.service';

/** Who is in a session and connected right now, merged across replicas through the repository. */
@Injectable()
export class PresenceService {
  /** This replica's sockets: socket id -> participant id. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly sessionService: SessionService,
    private readonly clock: Clock,
    private readonly media: MediaCatalog,
  ) {}

  async connect(sessionId: string, socketId: string, participantId: string): Promise<void> {
    this.owners.set(socketId, participantId);
    await this.sessions.addConnection(sessionId, socketId, participantId, SESSION_TTL_MS);
  }

  /**
   * Removing the last socket starts the 24 h expiry clock (every write pushes it out).
   * Returns whose socket it was (null when unknown).
   */
  async disconnect(sessionId: string, socketId: string): Promise<string | null> {
    const owner = this.owners.get(socketId) ?? null;
    this.owners.delete(socketId);
    await this.sessions.removeConnection(sessionId, socketId, SESSION_TTL_MS);
    return owner;
  }

  async participants(sessionId: string): Promise<Participant[]> {
    const [records, connected] = await Promise.all([
      this.sessions.listParticipants(sessionId),
      this.sessions.connectedParticipantIds(sessionId),
    ]);
    return records.map((p) => ({
      id: p.id,
      name: p.name,
      role: p.role,
      connected: connected.has(p.id),
      status: p.status,
      driftMs: p.driftMs,
      ...(p.status === 'error' && p.error ? { error: p.error } : {}),
    }));
  }

  async snapshot(sessionId: string, participantId: string): Promise<SessionSnapshot | null> {
    const [session, state, participants, chat] = await Promise.all([
      this.sessions.get(sessionId),
      this.sessions.getState(sessionId),
      this.participants(sessionId),
      this.sessions.recentChat(sessionId, LIMITS.chatHistory).then((list) => list.map(withKind)),
    ]);
    const you = participants.find((p) => p.id === participantId);
    if (!session || !state || !you) return null;
    return {
      session: await this.sessionService.toInfo(session),
      you,
      participants,
      state,
      chat,
      media: session.source?.kind === 'media' ? await this.media.find(session.source.mediaId) : null,
      serverTime: this.clock.now(),
    };
  }
}

/** A message stored before chat lines had a kind was a user's. */
function withKind(message: Omit<ChatMessage, 'kind'> & Partial<Pick<ChatMessage, 'kind'>>): ChatMessage {
  return { ...message, kind: message.kind ?? 'user' };
}
