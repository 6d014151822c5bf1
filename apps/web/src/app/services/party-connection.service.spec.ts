import { TestBed } from '@angular/core/testing';
import type { JoinedSession } from '@watch-party/contracts';
import { FakeSocket, handshakeError } from '../testing/fake-socket';
import { sessionInfo } from '../testing/session';
import { ApiService } from './api.service';
import { ApiRequestError } from './http';
import { DeviceIdService } from './device-id.service';
import { IdentityStoreService } from './identity-store.service';
import { PartyConnectionService } from './party-connection.service';
import { SOCKET_FACTORY, SessionSocketService } from './session-socket.service';

const ID = 'SessIonId_1234567';
const OTHER = 'OtherParty_123456';
const SESSION = sessionInfo({ id: ID });
const JOINED: JoinedSession = { session: SESSION, participantId: 'me', token: 'tok-new' };

describe('PartyConnectionService', () => {
  let api: { joinSession: jest.Mock };
  let sockets: FakeSocket[];
  let party: PartyConnectionService;
  let identities: IdentityStoreService;
  const last = () => sockets[sockets.length - 1];

  beforeEach(() => {
    localStorage.clear();
    sockets = [];
    api = { joinSession: jest.fn() };
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        PartyConnectionService,
        { provide: ApiService, useValue: api },
        {
          provide: SOCKET_FACTORY,
          useValue: (token: string) => {
            const socket = new FakeSocket(token);
            sockets.push(socket);
            return socket.asSocket();
          },
        },
      ],
    });
    identities = TestBed.inject(IdentityStoreService);
    identities.set(OTHER, { token: 'elsewhere', participantId: 'x', name: 'Ann' });
    party = TestBed.inject(PartyConnectionService);
  });

  afterEach(() => TestBed.resetTestingModule());

  it('reconnects with the pass kept for the party it opens, and opens nothing without one', () => {
    party.open(ID);
    expect(sockets).toHaveLength(0);
    expect(party.identity()).toBeNull();

    identities.set(ID, { token: 'old', participantId: 'me', name: 'Ann' });
    party.open(ID);
    expect(last().token).toBe('old');
    expect(party.identity()?.name).toBe('Ann');
  });

  it('joining keeps the pass, connects with it and prefills the name next time', async () => {
    api.joinSession.mockResolvedValue(JOINED);
    party.open(ID);
    await expect(party.join({ name: 'Bo' })).resolves.toEqual(JOINED);
    expect(api.joinSession).toHaveBeenCalledWith(ID, { name: 'Bo', deviceId: TestBed.inject(DeviceIdService).get() });
    expect(identities.get(ID)).toEqual({ token: 'tok-new', participantId: 'me', name: 'Bo' });
    expect(last().token).toBe('tok-new');
    expect(party.joining()).toBe(false);
    expect(identities.lastName()).toBe('Bo');
  });

  it('rejects with the API error when joining fails, and connects nothing', async () => {
    api.joinSession.mockRejectedValue(new ApiRequestError(409, 'full', 'Conflict'));
    party.open(ID);
    await expect(party.join({ name: 'Bo' })).rejects.toMatchObject({ statusCode: 409 });
    expect(sockets).toHaveLength(0);
    expect(party.identity()).toBeNull();
  });

  it('ignores a join that finishes after another party was opened', async () => {
    let answer: (joined: JoinedSession) => void = () => undefined;
    api.joinSession.mockReturnValue(new Promise<JoinedSession>((resolve) => (answer = resolve)));
    party.open(ID);
    const pending = party.join({ name: 'Bo' });
    party.open(OTHER);
    const socketsBefore = sockets.length;
    answer(JOINED);
    await expect(pending).resolves.toBeNull();
    expect(identities.get(ID)).toBeNull();
    expect(sockets).toHaveLength(socketsBefore);
    expect(party.identity()?.token).toBe('elsewhere');
  });

  it('forgets the pass and keeps the name when the host removes us', () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    last().fire('connect');
    last().fire('session:kicked', { reason: 'Bye' });
    TestBed.tick();
    expect(party.dropped()).toEqual({ kind: 'kicked', reason: 'Bye' });
    expect(party.identity()).toBeNull();
    expect(identities.get(ID)).toBeNull();
    expect(identities.get(OTHER)).not.toBeNull();
    expect(party.name()).toBe('Cleo');

    party.dismissDrop();
    expect(party.dropped()).toBeNull();
  });

  it.each(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'NOT_A_PARTICIPANT'] as const)(
    'forgets the pass when the server refuses it with %s, and says so',
    (code) => {
      identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
      party.open(ID);
      last().active = false;
      last().fire('connect_error', handshakeError(code, 'token expired'));
      TestBed.tick();
      expect(party.dropped()).toEqual({ kind: 'pass-invalid', problem: 'token expired' });
      expect(party.identity()).toBeNull();
      expect(identities.get(ID)).toBeNull();
    },
  );

  it('keeps the pass while the server is restarting, and whatever the refusal message says', () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    last().active = false;
    last().fire('connect_error', handshakeError('SERVER_RESTARTING', 'invalid token expired'));
    TestBed.tick();
    expect(party.dropped()).toBeNull();
    expect(party.identity()?.token).toBe('tok');
    expect(identities.get(ID)).not.toBeNull();
    expect(party.banner()).toBe("Can't reach the server. Retrying…");
  });

  it('says "Reconnecting" after the connection drops, and nothing once it is back', () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    expect(party.banner()).toBeNull();
    last().fire('connect');
    last().fire('disconnect', 'transport close');
    expect(party.banner()).toBe('Connection lost. Reconnecting…');
    last().fire('connect');
    expect(party.banner()).toBeNull();
  });

  it('close() disconnects but keeps the pass for the next visit', () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    const socket = last();
    party.close();
    expect(socket.disconnected).toBe(true);
    expect(party.identity()).toBeNull();
    expect(identities.get(ID)?.token).toBe('tok');
  });

  it('sendChat() answers { ok: true } or the server refusal', async () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    last().fire('connect');
    last().responder = () => ({ ok: true, id: 'm1' });
    await expect(party.sendChat('hi')).resolves.toEqual({ ok: true });
    last().responder = () => ({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    await expect(party.sendChat('hi')).resolves.toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
  });

  it('sends the same deviceId with every join, so a ban by the host sticks to this browser', async () => {
    api.joinSession.mockResolvedValue(JOINED);
    party.open(ID);
    await party.join({ name: 'Bo' });
    party.open(OTHER);
    await party.join({ name: 'Bo' });
    const [[, first], [, second]] = api.joinSession.mock.calls as [string, { deviceId?: string }][];
    expect(first.deviceId).toEqual(expect.any(String));
    expect(second.deviceId).toBe(first.deviceId);
  });

  it('sendChat() passes the message clientId to chat:send', async () => {
    identities.set(ID, { token: 'tok', participantId: 'me', name: 'Cleo' });
    party.open(ID);
    last().fire('connect');
    last().responder = () => ({ ok: true, id: 'm1' });
    await party.sendChat('hi', 'client-1');
    expect(last().sent('chat:send').map((e) => e.payload)).toEqual([{ text: 'hi', clientId: 'client-1' }]);
  });
});
