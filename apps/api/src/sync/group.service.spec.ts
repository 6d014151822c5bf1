import type { Participant } from '@watch-party/contracts';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { DRIFT_BROADCAST_MS, PRESENCE_BROADCAST_MS } from './group.service';
import { type FakeSocket, Replica } from './testing/replica';

const byName = (list: Participant[]) => Object.fromEntries(list.map((p) => [p.name, p.role]));

describe('GroupService', () => {
  let kit: SessionKit;
  let r: Replica;
  let party: Party;
  let host: FakeSocket;
  let bo: FakeSocket;
  let cy: FakeSocket;
  const roles = async () => byName(await r.presence.participants(party.sessionId));

  beforeEach(async () => {
    kit = await createSessionKit();
    r = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo', 'Cy']);
    host = await r.connect(party.sessionId, party.host.participantId, 'Host');
    bo = await r.connect(party.sessionId, party.guests[0].participantId, 'Bo');
    cy = await r.connect(party.sessionId, party.guests[1].participantId, 'Cy');
    await kit.clock.advance(PRESENCE_BROADCAST_MS);
    r.broadcaster.clear();
  });
  afterEach(async () => {
    r.stop();
    await kit.close();
  });

  describe('roles', () => {
    it('only the host sets roles: anyone else is FORBIDDEN', async () => {
      const ack = await r.send(bo, 'role:set', { participantId: bo.data.participantId, role: 'controller' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await roles()).toEqual({ Host: 'host', Bo: 'viewer', Cy: 'viewer' });
    });

    it('the host makes a viewer a controller, and everyone hears the new list', async () => {
      expect(await r.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' })).toEqual({ ok: true });
      expect(byName(r.broadcaster.last('participants:update', { session: party.sessionId }))).toEqual({
        Host: 'host',
        Bo: 'controller',
        Cy: 'viewer',
      });
    });

    it('controllers may control playback, viewers may not', async () => {
      await r.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' });
      expect(await r.send(bo, 'playback:control', { action: 'play' })).toMatchObject({ ok: true, state: { playing: true, by: bo.data.participantId } });
      expect(await r.send(cy, 'playback:control', { action: 'pause' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await r.send(cy, 'source:set', { source: { kind: 'url', url: 'https://example.com/a.mp4' } })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      // Demoted again: no longer allowed.
      await r.send(host, 'role:set', { participantId: bo.data.participantId, role: 'viewer' });
      expect(await r.send(bo, 'playback:control', { action: 'pause' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    });

    it('under controlPolicy "everyone" viewers control playback too', async () => {
      await r.send(host, 'session:settings', { controlPolicy: 'everyone' });
      expect(await r.send(cy, 'playback:control', { action: 'seek', position: 12 })).toMatchObject({ ok: true, state: { position: 12 } });
    });

    it('the host hands the host role over: they become a controller and lose the host tools', async () => {
      expect(await r.send(host, 'role:set', { participantId: cy.data.participantId, role: 'host' })).toEqual({ ok: true });
      expect(await roles()).toEqual({ Host: 'controller', Bo: 'viewer', Cy: 'host' });
      expect(await r.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await r.send(host, 'session:settings', { waitForBuffering: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await r.send(cy, 'role:set', { participantId: bo.data.participantId, role: 'controller' })).toEqual({ ok: true });
    });

    it('the host cannot demote themself (they hand the role over instead); naming themself host changes nothing', async () => {
      const demote = await r.send(host, 'role:set', { participantId: host.data.participantId, role: 'viewer' });
      expect(demote).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'give the host role to someone else instead' } });
      expect(await r.send(host, 'role:set', { participantId: host.data.participantId, role: 'host' })).toEqual({ ok: true });
      expect(await roles()).toEqual({ Host: 'host', Bo: 'viewer', Cy: 'viewer' });
    });

    it('a role for someone who is not in the party is NOT_FOUND', async () => {
      const ack = await r.send(host, 'role:set', { participantId: 'AAAAAAAAAAAAAAAA', role: 'controller' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });
  });

  describe('settings', () => {
    it('only the host changes settings; everyone hears them as session:update', async () => {
      expect(await r.send(bo, 'session:settings', { waitForBuffering: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const ack = await r.send(host, 'session:settings', { controlPolicy: 'everyone', waitForBuffering: true });
      expect(ack).toMatchObject({ ok: true, session: { controlPolicy: 'everyone', waitForBuffering: true, participantCount: 3 } });
      expect(r.broadcaster.sent('session:update', { session: party.sessionId })).toEqual([
        expect.objectContaining({ controlPolicy: 'everyone', waitForBuffering: true }),
      ]);
    });
  });

  describe('kicks', () => {
    it('the host kicks: the participant is told, their sockets closed, the party forgets them, everyone hears the list', async () => {
      const boId = bo.data.participantId;
      expect(await r.send(host, 'participant:kick', { participantId: boId })).toEqual({ ok: true });
      expect(r.broadcaster.sent('session:kicked', { participant: boId })).toEqual([{ reason: 'the host removed you from this party' }]);
      expect(r.broadcaster.disconnected).toEqual([boId]);
      expect(await kit.sessions.getParticipant(party.sessionId, boId)).toBeNull();
      expect(byName(r.broadcaster.last('participants:update', { session: party.sessionId }))).toEqual({ Host: 'host', Cy: 'viewer' });
      // A kicked participant's sockets can no longer act.
      expect(await r.send(bo, 'chat:send', { text: 'still here?' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    });

    it('the host cannot kick themself', async () => {
      const ack = await r.send(host, 'participant:kick', { participantId: host.data.participantId });
      expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(r.broadcaster.disconnected).toEqual([]);
    });

    it('kicking someone who is not in the party is NOT_FOUND', async () => {
      const ack = await r.send(host, 'participant:kick', { participantId: 'AAAAAAAAAAAAAAAA' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(r.broadcaster.emitted).toEqual([]);
    });

    it('only the host kicks: anyone else is FORBIDDEN', async () => {
      await r.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' });
      const ack = await r.send(bo, 'participant:kick', { participantId: cy.data.participantId });
      expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await kit.sessions.getParticipant(party.sessionId, cy.data.participantId)).not.toBeNull();
      expect(r.broadcaster.disconnected).toEqual([]);
    });
  });

  describe('presence announcements', () => {
    const updates = () => r.broadcaster.sent('participants:update', { session: party.sessionId });

    it('announces a burst of joins once, within PRESENCE_BROADCAST_MS, listing everyone', async () => {
      const service = kit.sessionService();
      const joined = [];
      for (let i = 0; i < 40; i++) joined.push(await service.join(party.sessionId, { name: `G${i}` }, '192.0.2.7'));
      r.broadcaster.clear();
      for (const j of joined) await r.connect(party.sessionId, j.participantId);
      await kit.clock.advance(PRESENCE_BROADCAST_MS - 1);
      expect(updates()).toHaveLength(0);
      await kit.clock.advance(1);
      expect(updates()).toHaveLength(1);
      expect(updates()[0].filter((p) => p.connected)).toHaveLength(43);
    });

    it('announces a leave within PRESENCE_BROADCAST_MS', async () => {
      await r.disconnect(cy);
      await kit.clock.advance(PRESENCE_BROADCAST_MS);
      expect(updates()).toHaveLength(1);
      expect(updates()[0].find((p) => p.name === 'Cy')?.connected).toBe(false);
    });

    it('announces a status change at once', async () => {
      await r.send(bo, 'participant:status', { status: 'buffering', position: 3 });
      expect(updates()).toHaveLength(1);
      expect(updates()[0].find((p) => p.name === 'Bo')?.status).toBe('buffering');
    });

    it('announces drift-only changes at most every DRIFT_BROADCAST_MS, with the latest drift', async () => {
      await r.send(bo, 'participant:status', { status: 'playing', position: 1 });
      r.broadcaster.clear();
      for (let i = 1; i <= 10; i++) {
        await r.send(bo, 'participant:status', { status: 'playing', position: 1 + i / 10, driftMs: i * 11.11 });
        await kit.clock.advance(100);
      }
      expect(updates()).toHaveLength(0);
      await kit.clock.advance(DRIFT_BROADCAST_MS - 1000);
      expect(updates()).toHaveLength(1);
      expect(updates()[0].find((p) => p.name === 'Bo')?.driftMs).toBe(111.1);
      // The same drift again is no change at all.
      await r.send(bo, 'participant:status', { status: 'playing', position: 3, driftMs: 111.1 });
      await kit.clock.advance(2 * DRIFT_BROADCAST_MS);
      expect(updates()).toHaveLength(1);
    });

    it('a join or leave while a drift announcement waits brings it forward to PRESENCE_BROADCAST_MS', async () => {
      await r.send(bo, 'participant:status', { status: 'playing', position: 1, driftMs: 40 });
      r.broadcaster.clear();
      await r.send(bo, 'participant:status', { status: 'playing', position: 1, driftMs: 80 });
      await r.disconnect(cy);
      await kit.clock.advance(PRESENCE_BROADCAST_MS);
      expect(updates()).toHaveLength(1);
      await kit.clock.advance(2 * DRIFT_BROADCAST_MS);
      expect(updates()).toHaveLength(1);
    });

    it('a socket of a participant who was removed gets no snapshot', async () => {
      await r.send(host, 'participant:kick', { participantId: cy.data.participantId });
      const delivered: unknown[] = [];
      await expect(r.group.socketJoined(party.sessionId, 'late-socket', cy.data.participantId, (s) => delivered.push(s))).resolves.toBeNull();
      expect(delivered).toEqual([]);
    });

    it("a newcomer's snapshot goes out before its own \"joined\" line, which a snapshot sent later would wipe", async () => {
      const dee = await kit.sessionService().join(party.sessionId, { name: 'Dee' }, '192.0.2.9');
      r.broadcaster.clear();
      await r.connect(party.sessionId, dee.participantId);
      const order = r.broadcaster.emitted.map((e) =>
        e.event === 'chat:message' ? `chat:${(e.args[0] as { text: string }).text}` : e.event,
      );
      expect(order.indexOf('session:snapshot')).toBeGreaterThanOrEqual(0);
      expect(order.indexOf('chat:Dee joined')).toBeGreaterThan(order.indexOf('session:snapshot'));
    });
  });
});
