import { HttpException } from '@nestjs/common';
import type { JoinedSession } from '@watch-party/contracts';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import type { SessionService } from '../session/session.service';
import { BANNED_DEVICES_MAX } from './group.service';
import { type FakeSocket, Replica } from './testing/replica';

const ADDRESS = '192.0.2.7';

/** The HTTP error a join fails with, or 'joined'. */
async function refusal(join: Promise<JoinedSession>): Promise<{ status: number; message: string } | 'joined'> {
  try {
    await join;
    return 'joined';
  } catch (err) {
    if (err instanceof HttpException) return { status: err.getStatus(), message: err.message };
    throw err;
  }
}

describe('moderation: bans and locked parties', () => {
  let kit: SessionKit;
  let service: SessionService;
  let a: Replica;
  let b: Replica;
  let party: Party;
  let host: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    service = kit.sessionService();
    a = new Replica(kit);
    b = new Replica(kit);
    party = await createParty(kit, service);
    host = await a.connect(party.sessionId, party.host.participantId, 'Host');
  });
  afterEach(async () => {
    a.stop();
    b.stop();
    await kit.close();
  });

  const join = (name: string, deviceId?: string) => service.join(party.sessionId, { name, ...(deviceId ? { deviceId } : {}) }, ADDRESS);

  it("a kick with ban refuses later joins from that participant's device with 403, on every replica", async () => {
    const eve = await join('Eve', 'device-eve');
    expect(await a.send(host, 'participant:kick', { participantId: eve.participantId, ban: true })).toEqual({ ok: true });
    expect(a.broadcaster.sent('session:kicked', { participant: eve.participantId })).toHaveLength(1);
    expect(await refusal(join('Eve again', 'device-eve'))).toEqual({ status: 403, message: 'the host removed you from this party' });
    expect(await refusal(kit.sessionService().join(party.sessionId, { name: 'Eve', deviceId: 'device-eve' }, ADDRESS))).toMatchObject({ status: 403 });
    // Other devices, and joins without a device id, still get in.
    expect(await refusal(join('Bo', 'device-bo'))).toBe('joined');
    expect(await refusal(join('Cy'))).toBe('joined');
  });

  it('a kick without ban lets the device join again', async () => {
    const eve = await join('Eve', 'device-eve');
    expect(await a.send(host, 'participant:kick', { participantId: eve.participantId })).toEqual({ ok: true });
    expect(await refusal(join('Eve', 'device-eve'))).toBe('joined');
  });

  it(`bans at most ${BANNED_DEVICES_MAX} devices per party: beyond, the kick is refused with BAD_REQUEST`, async () => {
    jest.spyOn(kit.sessions, 'banDevice').mockResolvedValueOnce('full');
    const eve = await join('Eve', 'device-eve');
    expect(await a.send(host, 'participant:kick', { participantId: eve.participantId, ban: true })).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: `this party already bans ${BANNED_DEVICES_MAX} devices` },
    });
    expect(await kit.sessions.getParticipant(party.sessionId, eve.participantId)).not.toBeNull();
  });

  it('a locked party refuses every new join with 403 "party is locked"; its participants keep their tokens and reconnect', async () => {
    const bo = await join('Bo', 'device-bo');
    const boSocket = await b.connect(party.sessionId, bo.participantId, 'Bo');
    expect(await b.send(boSocket, 'session:settings', { locked: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await a.send(host, 'session:settings', { locked: true })).toMatchObject({ ok: true, session: { locked: true } });
    expect(a.broadcaster.last('session:update')).toMatchObject({ locked: true });
    expect(await refusal(join('Cy'))).toEqual({ status: 403, message: 'party is locked' });
    // Bo's socket drops and comes back with the same token: still Bo.
    await b.disconnect(boSocket);
    const again = await b.connect(party.sessionId, bo.participantId, 'Bo');
    expect(again.snapshot.you).toMatchObject({ id: bo.participantId, name: 'Bo' });
    expect(await kit.tokens.verify(bo.token)).toMatchObject({ participantId: bo.participantId });
    expect(await a.send(host, 'session:settings', { locked: false })).toMatchObject({ ok: true, session: { locked: false } });
    expect(await refusal(join('Cy'))).toBe('joined');
  });
});
