import { Injectable } from '@nestjs/common';
import type { JoinedSession } from '@watch-party/contracts';
import { SessionRepository } from '../session/session.repository';
import { SessionService } from '../session/session.service';

/** What a show opens for its creator. */
export interface ShowParty {
  hostName: string;
  /** the party's name (the show's title, cut to a party name's length) */
  name: string;
  showId: string;
}

/**
 * Each live show has a watch party hosted by its creator; this is all the live service needs
 * of parties, behind a port so its rules are unit-tested with an in-memory fake.
 */
export abstract class LiveParties {
  /** Opens the show's party (rate-limited per address like any party); the creator is its host. */
  abstract open(party: ShowParty, clientIp: string): Promise<JoinedSession>;
  /** Participants with a socket connected to the party now, on any replica. */
  abstract connectedParticipantIds(sessionId: string): Promise<Set<string>>;
}

/** Live parties are ordinary sessions. */
@Injectable()
export class SessionLiveParties extends LiveParties {
  constructor(
    private readonly sessions: SessionService,
    private readonly repo: SessionRepository,
  ) {
    super();
  }

  open(party: ShowParty, clientIp: string): Promise<JoinedSession> {
    return this.sessions.create({ hostName: party.hostName, name: party.name, source: { kind: 'live', showId: party.showId } }, clientIp);
  }

  connectedParticipantIds(sessionId: string): Promise<Set<string>> {
    return this.repo.connectedParticipantIds(sessionId);
  }
}
