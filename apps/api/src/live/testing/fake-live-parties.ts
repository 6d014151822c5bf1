import type { JoinedSession } from '@watch-party/contracts';
import { newId } from '../../common/ids';
import { LiveParties, type ShowParty } from '../live-parties';

/** Parties in memory: what was opened, and who is connected (set by the test). */
export class FakeLiveParties extends LiveParties {
  readonly opened: { party: ShowParty; clientIp: string; joined: JoinedSession }[] = [];
  /** Connected participant ids by session id. */
  readonly connected = new Map<string, Set<string>>();

  async open(party: ShowParty, clientIp: string): Promise<JoinedSession> {
    const joined: JoinedSession = {
      session: {
        id: newId(),
        name: party.name,
        hasPassword: false,
        createdAt: new Date(0).toISOString(),
        controlPolicy: 'host',
        queue: [],
        queuePolicy: 'everyone',
        locked: false,
        participantCount: 1,
        source: { kind: 'live', showId: party.showId },
        waitForBuffering: false,
      },
      participantId: newId(),
      token: `token-${newId()}`,
    };
    this.opened.push({ party, clientIp, joined });
    return joined;
  }

  async connectedParticipantIds(sessionId: string): Promise<Set<string>> {
    return new Set(this.connected.get(sessionId));
  }
}
