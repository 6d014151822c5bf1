import type { HandshakeErrorCode } from '@watch-party/contracts';
import { SignJWT } from 'jose';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { ShutdownService } from '../ops/shutdown.service';
import { HandshakeRefusal } from '../common/handshake-refusal';
import type { AppSocket } from '../realtime/socket-types';
import { createParty, createSessionKit, type Party, type SessionKit, UNIT_TEST_SECRET } from '../session/testing/session-kit';
import { SyncGateway } from './sync.gateway';
import { Replica } from './testing/replica';

/** The code and message a handshake is refused with; null when it is admitted. */
async function refusalOf(admission: Promise<unknown>): Promise<{ code: HandshakeErrorCode; message: string } | null> {
  try {
    await admission;
    return null;
  } catch (err) {
    if (err instanceof HandshakeRefusal) return { code: err.code, message: err.message };
    throw err;
  }
}

const sign = (claims: { sid: string; sub: string }, secret: string, expiresAt: number | string = '1h') =>
  new SignJWT({ sid: claims.sid, name: 'Ann' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));

describe('SyncGateway handshake', () => {
  let kit: SessionKit;
  let r: Replica;
  let shutdown: ShutdownService;
  let gateway: SyncGateway;
  let party: Party;

  beforeEach(async () => {
    kit = await createSessionKit();
    r = new Replica(kit);
    shutdown = new ShutdownService();
    gateway = new SyncGateway(kit.tokens, kit.sessions, r.router, r.broadcaster, r.metrics, shutdown, r.group, kit.clock);
    party = await createParty(kit, kit.sessionService(), ['Bo']);
  });
  afterEach(async () => {
    gateway.onModuleDestroy();
    r.stop();
    await kit.close();
  });

  it("admits a participant's token as that participant", async () => {
    await expect(gateway.admit({ token: party.guests[0].token })).resolves.toEqual({
      sessionId: party.sessionId,
      participantId: party.guests[0].participantId,
      name: 'Bo',
    });
  });

  it.each([
    ['no auth', undefined, 'missing token'],
    ['no token', {}, 'missing token'],
    ['an empty token', { token: '' }, 'missing token'],
    ['a token that is not a string', { token: 42 }, 'missing token'],
    ['an oversized token', { token: 'x'.repeat(5000) }, 'missing token'],
    ['garbage', { token: 'not-a-jwt' }, 'invalid token'],
  ])('refuses %s with TOKEN_INVALID', async (_label, auth, message) => {
    expect(await refusalOf(gateway.admit(auth))).toEqual({ code: 'TOKEN_INVALID', message });
  });

  it('refuses a token signed with another secret with TOKEN_INVALID', async () => {
    const forged = await sign({ sid: party.sessionId, sub: party.host.participantId }, 'another-secret-0123456789');
    expect(await refusalOf(gateway.admit({ token: forged }))).toEqual({ code: 'TOKEN_INVALID', message: 'invalid token' });
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const expired = await sign({ sid: party.sessionId, sub: party.host.participantId }, UNIT_TEST_SECRET, Math.floor(Date.now() / 1000) - 60);
    expect(await refusalOf(gateway.admit({ token: expired }))).toEqual({ code: 'TOKEN_EXPIRED', message: 'token expired' });
  });

  it('refuses the token of a kicked participant, of another party, or of an expired party with NOT_A_PARTICIPANT', async () => {
    const other = await createParty(kit, kit.sessionService(), [], 'Cy');
    const crossed = await sign({ sid: other.sessionId, sub: party.host.participantId }, UNIT_TEST_SECRET);
    expect(await refusalOf(gateway.admit({ token: crossed }))).toMatchObject({ code: 'NOT_A_PARTICIPANT' });

    await kit.sessions.removeParticipant(party.sessionId, party.guests[0].participantId, SESSION_TTL_MS);
    expect(await refusalOf(gateway.admit({ token: party.guests[0].token }))).toEqual({
      code: 'NOT_A_PARTICIPANT',
      message: 'token refused: not a participant of this party (removed, or the party expired)',
    });

    await kit.clock.advance(SESSION_TTL_MS);
    expect(await refusalOf(gateway.admit({ token: party.host.token }))).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
  });

  it('refuses everyone with SERVER_RESTARTING while the replica drains', async () => {
    await shutdown.drain();
    expect(await refusalOf(gateway.admit({ token: party.host.token }))).toEqual({
      code: 'SERVER_RESTARTING',
      message: 'server restarting; reconnect',
    });
  });

  describe('as the namespace middleware', () => {
    const socketWith = (auth: Record<string, unknown>): Pick<AppSocket, 'handshake' | 'data'> => ({
      handshake: { headers: {}, time: '', address: '127.0.0.1', xdomain: false, secure: false, issued: 0, url: '/socket.io/', query: {}, auth },
      data: { sessionId: '', participantId: '', name: '' },
    });
    const run = async (socket: Pick<AppSocket, 'handshake' | 'data'>) => {
      const calls: (Error | undefined)[] = [];
      await gateway.handshake(socket, (err) => calls.push(err));
      expect(calls).toHaveLength(1);
      return calls[0];
    };

    it('admits: the socket carries who it is', async () => {
      const socket = socketWith({ token: party.host.token });
      expect(await run(socket)).toBeUndefined();
      expect(socket.data).toEqual({ sessionId: party.sessionId, participantId: party.host.participantId, name: 'Host' });
    });

    it('refuses with the code in the error data, as Socket.IO sends it to connect_error', async () => {
      const err = await run(socketWith({ token: 'not-a-jwt' }));
      expect(err).toBeInstanceOf(HandshakeRefusal);
      expect(err).toMatchObject({ message: 'invalid token', data: { code: 'TOKEN_INVALID' } });
    });

    it('refuses a store failure as REFUSED (clients retry it)', async () => {
      jest.spyOn(kit.sessions, 'getParticipant').mockRejectedValueOnce(new Error('store unavailable'));
      expect(await run(socketWith({ token: party.host.token }))).toMatchObject({
        message: 'store unavailable',
        data: { code: 'REFUSED' },
      });
    });
  });
});
