import type { ChatMessage } from '@watch-party/contracts';
import { CHAT_RETRY_WINDOW_MS } from '../common/lifetimes';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { type FakeSocket, Replica } from './testing/replica';

describe('ChatService: retries with a clientId', () => {
  let kit: SessionKit;
  let a: Replica;
  let b: Replica;
  let party: Party;
  let host: FakeSocket;
  let bo: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    a = new Replica(kit);
    b = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    host = await a.connect(party.sessionId, party.host.participantId, 'Host');
    bo = await b.connect(party.sessionId, party.guests[0].participantId, 'Bo');
  });
  afterEach(async () => {
    a.stop();
    b.stop();
    await kit.close();
  });

  const send = async (r: Replica, socket: FakeSocket, payload: object): Promise<ChatMessage> => {
    const ack = await r.send(socket, 'chat:send', payload);
    if (!ack.ok) throw new Error(ack.error.message);
    return (ack as { ok: true; message: ChatMessage }).message;
  };
  const announced = () => [...a.broadcaster.sent('chat:message'), ...b.broadcaster.sent('chat:message')].filter((m) => m.kind === 'user');
  const history = async () => (await kit.sessions.recentChat(party.sessionId, 50)).filter((m) => m.kind === 'user').map((m) => m.text);

  it('answers a repeat from the same participant with the first message, stored and announced once, on any replica', async () => {
    const first = await send(a, host, { text: 'popcorn?', clientId: 'c-1' });
    await kit.clock.advance(CHAT_RETRY_WINDOW_MS - 1);
    const retry = await send(b, host, { text: 'popcorn?', clientId: 'c-1' });
    expect(retry).toEqual(first);
    expect(announced()).toEqual([first]);
    expect(await history()).toEqual(['popcorn?']);
  });

  it('keeps clientIds apart per participant, and forgets one after CHAT_RETRY_WINDOW_MS', async () => {
    const hosts = await send(a, host, { text: 'one', clientId: 'same' });
    const bos = await send(b, bo, { text: 'two', clientId: 'same' });
    expect(bos.id).not.toBe(hosts.id);
    await kit.clock.advance(CHAT_RETRY_WINDOW_MS);
    const later = await send(a, host, { text: 'three', clientId: 'same' });
    expect(later.id).not.toBe(hosts.id);
    expect(await history()).toEqual(['one', 'two', 'three']);
    expect(announced()).toHaveLength(3);
  });

  it('sends without a clientId as before (every send is a message) and refuses a clientId over 64 characters', async () => {
    await send(a, host, { text: 'again' });
    await send(a, host, { text: 'again' });
    expect(await history()).toEqual(['again', 'again']);
    expect(await a.send(host, 'chat:send', { text: 'x', clientId: 'c'.repeat(65) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});
