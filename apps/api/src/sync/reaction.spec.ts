import { LIMITS } from '@watch-party/contracts';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { type FakeSocket, Replica } from './testing/replica';

describe('reactions', () => {
  let kit: SessionKit;
  let r: Replica;
  let party: Party;
  let bo: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    r = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    bo = await r.connect(party.sessionId, party.guests[0].participantId, 'Bo');
  });
  afterEach(async () => {
    r.stop();
    await kit.close();
  });

  it('lets anyone (a viewer too) send one of the eight emojis to the whole party, without storing it', async () => {
    const before = await kit.sessions.recentChat(party.sessionId, 50);
    expect(await r.send(bo, 'reaction:send', { emoji: '🎉' })).toEqual({ ok: true });
    expect(r.broadcaster.sent('reaction', { session: party.sessionId })).toEqual([
      { participantId: bo.data.participantId, emoji: '🎉', at: kit.clock.now() },
    ]);
    expect(await kit.sessions.recentChat(party.sessionId, 50)).toEqual(before);
    expect(await r.send(bo, 'reaction:send', { emoji: '💩' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it(`takes ${LIMITS.reactionsPerSec} reactions a second per participant, apart from chat, then RATE_LIMITED`, async () => {
    const codes: string[] = [];
    for (let i = 0; i <= LIMITS.reactionsPerSec; i++) {
      const ack = await r.send(bo, 'reaction:send', { emoji: '👍' });
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(codes).toEqual([...Array(LIMITS.reactionsPerSec).fill('ok'), 'RATE_LIMITED']);
    expect(await r.send(bo, 'chat:send', { text: 'still allowed' })).toMatchObject({ ok: true });
    expect(r.broadcaster.sent('reaction')).toHaveLength(LIMITS.reactionsPerSec);
    await kit.clock.advance(1000);
    expect(await r.send(bo, 'reaction:send', { emoji: '👍' })).toEqual({ ok: true });
  });

  it('refuses a reaction from someone no longer in the party', async () => {
    await kit.sessions.removeParticipant(party.sessionId, bo.data.participantId, 60_000);
    expect(await r.send(bo, 'reaction:send', { emoji: '👍' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(r.broadcaster.sent('reaction')).toEqual([]);
  });
});
