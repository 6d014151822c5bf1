import type { ParticipantRecord, SessionRecord, SessionRepository } from '../session/session.repository';
import { forbidden, notFound } from './ack';
import type { SocketData } from '../realtime/socket-types';

export interface Actor {
  session: SessionRecord;
  participant: ParticipantRecord;
}

/** The session and participant behind a socket, fresh from the store (roles change). */
export async function loadActor(sessions: SessionRepository, ctx: SocketData): Promise<Actor> {
  const [session, participant] = await Promise.all([
    sessions.get(ctx.sessionId),
    sessions.getParticipant(ctx.sessionId, ctx.participantId),
  ]);
  if (!session) throw notFound('this party no longer exists');
  if (!participant) throw forbidden('you are no longer a participant of this party');
  return { session, participant };
}

/** Controllers: the host, anyone with role controller, everyone under policy "everyone". */
export function canControl({ session, participant }: Actor): boolean {
  return participant.role !== 'viewer' || session.controlPolicy === 'everyone';
}
