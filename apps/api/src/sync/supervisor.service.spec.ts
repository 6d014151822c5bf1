import type { Participant, PlaybackState } from '@watch-party/contracts';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { BUFFERING_HOLD_MS, HOST_ABSENCE_MS, SUPERVISOR_SWEEP_MS } from './supervisor.service';
import { type FakeSocket, Replica } from './testing/replica';

const hostsIn = (list: Participant[]) => list.filter((p) => p.role === 'host').map((p) => p.name);

/** participants:update broadcasts (from any of `replicas`) that name `name` as the host. */
const promotionsOf = (name: string, ...replicas: Replica[]) =>
  replicas.flatMap((r) => r.broadcaster.sent('participants:update')).filter((l) => hostsIn(l).join() === name);

describe('SupervisorService: host migration', () => {
  let kit: SessionKit;
  let replicas: Replica[];
  let party: Party;
  const replica = () => {
    const r = new Replica(kit).start();
    replicas.push(r);
    return r;
  };
  const roles = async () =>
    Object.fromEntries((await kit.sessions.listParticipants(party.sessionId)).map((p) => [p.name, p.role]));

  beforeEach(async () => {
    kit = await createSessionKit();
    replicas = [];
    party = await createParty(kit, kit.sessionService(), ['Old', 'New']);
  });
  afterEach(async () => {
    replicas.forEach((r) => r.stop());
    await kit.close();
  });

  const connect = (r: Replica, who: 'host' | 'Old' | 'New'): Promise<FakeSocket> => {
    const joined = who === 'host' ? party.host : party.guests[who === 'Old' ? 0 : 1];
    return r.connect(party.sessionId, joined.participantId, who);
  };

  it('hands the host role to the longest-present connected participant HOST_ABSENCE_MS after the host left, announced once', async () => {
    const a = replica();
    const host = await connect(a, 'host');
    await connect(a, 'New'); // connected first, but joined the party after Old
    await connect(a, 'Old');
    await kit.clock.advance(1000);
    await a.disconnect(host);

    await kit.clock.advance(HOST_ABSENCE_MS - 1);
    expect(await roles()).toEqual({ Host: 'host', Old: 'viewer', New: 'viewer' });
    expect(promotionsOf('Old', a)).toHaveLength(0);

    await kit.clock.advance(100);
    expect(await roles()).toEqual({ Host: 'controller', Old: 'host', New: 'viewer' });
    // Sweeps keep running; the handover is announced once.
    await kit.clock.advance(5 * SUPERVISOR_SWEEP_MS);
    expect(promotionsOf('Old', a)).toHaveLength(1);
    expect(promotionsOf('Old', a)[0].find((p) => p.name === 'Host')).toMatchObject({ role: 'controller', connected: false });

    // The old host comes back as a controller, not as a second host.
    const back = await connect(a, 'host');
    expect(back.snapshot.you.role).toBe('controller');
    expect(hostsIn(back.snapshot.participants)).toEqual(['Old']);
  });

  it('keeps the host who comes back within HOST_ABSENCE_MS', async () => {
    const a = replica();
    const host = await connect(a, 'host');
    await connect(a, 'Old');
    await a.disconnect(host);
    await kit.clock.advance(HOST_ABSENCE_MS - 2000);
    await connect(a, 'host');
    await kit.clock.advance(3 * HOST_ABSENCE_MS);
    expect(await roles()).toEqual({ Host: 'host', Old: 'viewer', New: 'viewer' });
    expect(promotionsOf('Old', a)).toHaveLength(0);
  });

  it('keeps the host while one of their sockets is still connected', async () => {
    const a = replica();
    const tab1 = await connect(a, 'host');
    await connect(a, 'host');
    await connect(a, 'Old');
    await a.disconnect(tab1);
    await kit.clock.advance(3 * HOST_ABSENCE_MS);
    expect(await roles()).toEqual({ Host: 'host', Old: 'viewer', New: 'viewer' });
  });

  it('promotes nobody while nobody else is connected, then the first to connect at the next sweep', async () => {
    const a = replica();
    const host = await connect(a, 'host');
    await a.disconnect(host);
    await kit.clock.advance(3 * HOST_ABSENCE_MS);
    expect(await roles()).toEqual({ Host: 'host', Old: 'viewer', New: 'viewer' });

    await connect(a, 'New');
    await kit.clock.advance(SUPERVISOR_SWEEP_MS);
    expect(await roles()).toEqual({ Host: 'controller', Old: 'viewer', New: 'host' });
  });

  it('two replicas on one store promote exactly once', async () => {
    const a = replica();
    const b = replica();
    const host = await connect(a, 'host');
    await connect(a, 'Old');
    await connect(b, 'New');
    await a.disconnect(host);
    await kit.clock.advance(HOST_ABSENCE_MS + 5 * SUPERVISOR_SWEEP_MS);
    expect(await roles()).toEqual({ Host: 'controller', Old: 'host', New: 'viewer' });
    expect(promotionsOf('Old', a, b)).toHaveLength(1);
  });

  it('two replicas deciding at the same moment promote exactly once (the store transfers atomically)', async () => {
    const a = new Replica(kit); // no timers: this test drives the checks itself
    const b = new Replica(kit);
    const host = await connect(a, 'host');
    await connect(a, 'Old');
    await connect(b, 'New');
    // The host's socket is gone from the store; both replicas notice, then decide together.
    await a.presence.disconnect(party.sessionId, host.id);
    await Promise.all([a.supervisor.checkHost(party.sessionId), b.supervisor.checkHost(party.sessionId)]);
    await kit.clock.advance(HOST_ABSENCE_MS);
    await Promise.all([a.supervisor.checkHost(party.sessionId), b.supervisor.checkHost(party.sessionId)]);
    expect(await roles()).toEqual({ Host: 'controller', Old: 'host', New: 'viewer' });
    expect(promotionsOf('Old', a, b)).toHaveLength(1);
  });

  it("promotes at a sweep when the replica that held the host's socket died without telling anyone", async () => {
    const b = replica();
    await connect(b, 'Old');
    // The host's socket was on a replica that died: its presence entry just disappears.
    await kit.sessions.addConnection(party.sessionId, 'socket-on-dead-replica', party.host.participantId, SESSION_TTL_MS);
    await kit.clock.advance(SUPERVISOR_SWEEP_MS);
    await kit.sessions.removeConnection(party.sessionId, 'socket-on-dead-replica', SESSION_TTL_MS);
    await kit.clock.advance(HOST_ABSENCE_MS - 1);
    expect(await roles()).toMatchObject({ Host: 'host' });
    // One sweep notices the absence, a later one acts on it.
    await kit.clock.advance(2 * SUPERVISOR_SWEEP_MS + 1);
    expect(await roles()).toMatchObject({ Host: 'controller', Old: 'host' });
  });
});

describe('SupervisorService: buffering hold (waitForBuffering)', () => {
  let kit: SessionKit;
  let a: Replica;
  let party: Party;
  let host: FakeSocket;
  let bo: FakeSocket;
  const states = (...replicas: Replica[]): PlaybackState[] =>
    replicas.flatMap((r) => r.broadcaster.sent('playback:state')).sort((x, y) => x.rev - y.rev);
  const lastState = () => a.broadcaster.last('playback:state');
  const report = (r: Replica, s: FakeSocket, status: 'buffering' | 'ready') =>
    r.group.reportStatus(s.data, { status, position: 3 });

  beforeEach(async () => {
    kit = await createSessionKit();
    a = new Replica(kit).start();
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    host = await a.connect(party.sessionId, party.host.participantId, 'Host');
    bo = await a.connect(party.sessionId, party.guests[0].participantId, 'Bo');
    await a.group.updateSettings(host.data, { waitForBuffering: true });
    await a.playback.control(host.data, { action: 'play', position: 0 });
    await kit.clock.advance(1000);
    a.broadcaster.clear();
  });
  afterEach(async () => {
    a.stop();
    await kit.close();
  });

  it('pauses the group, on behalf of the buffering participant, when someone buffers while playing', async () => {
    await report(a, bo, 'buffering');
    const pause = lastState();
    expect(pause).toMatchObject({ playing: false, action: 'pause', by: bo.data.participantId, position: 1 });
    expect((await kit.sessions.get(party.sessionId))?.bufferingHold).toEqual({ since: kit.clock.now(), rev: pause.rev });
  });

  it('resumes as soon as every connected participant is ready', async () => {
    await report(a, bo, 'buffering');
    const pause = lastState();
    await kit.clock.advance(2000);
    await report(a, host, 'ready');
    expect(lastState()).toEqual(pause); // Bo is still buffering
    await report(a, bo, 'ready');
    expect(lastState()).toMatchObject({ playing: true, action: 'play', by: null, rev: pause.rev + 1, at: pause.at + 2000 });
    expect((await kit.sessions.get(party.sessionId))?.bufferingHold).toBeNull();
    await kit.clock.advance(2 * BUFFERING_HOLD_MS);
    expect(states(a).map((s) => s.action)).toEqual(['pause', 'play']);
  });

  it('does not wait for participants who are not connected', async () => {
    const cy = await kit.sessionService().join(party.sessionId, { name: 'Cy' }, '192.0.2.9');
    const cySocket = await a.connect(party.sessionId, cy.participantId, 'Cy');
    await report(a, cySocket, 'buffering');
    await a.disconnect(cySocket);
    await report(a, host, 'ready');
    await report(a, bo, 'ready');
    expect(lastState()).toMatchObject({ playing: true, action: 'play', by: null });
  });

  it('resumes after BUFFERING_HOLD_MS even if someone is still buffering', async () => {
    await report(a, host, 'ready');
    await report(a, bo, 'buffering');
    const pause = lastState();
    await kit.clock.advance(BUFFERING_HOLD_MS - 1);
    expect(lastState()).toEqual(pause);
    await kit.clock.advance(100);
    const resumed = lastState();
    expect(resumed).toMatchObject({ playing: true, action: 'play', by: null });
    expect(resumed.at - pause.at).toBeGreaterThanOrEqual(BUFFERING_HOLD_MS);
    expect(resumed.at - pause.at).toBeLessThanOrEqual(BUFFERING_HOLD_MS + 100);
  });

  it('a command during the hold cancels it: nobody resumes the group afterwards', async () => {
    await report(a, bo, 'buffering');
    await kit.clock.advance(1000);
    await a.playback.control(host.data, { action: 'seek', position: 30 });
    expect(lastState()).toMatchObject({ playing: false, action: 'seek', position: 30 });
    await report(a, host, 'ready');
    await report(a, bo, 'ready');
    await kit.clock.advance(2 * BUFFERING_HOLD_MS);
    expect(states(a).map((s) => s.action)).toEqual(['pause', 'seek']);
    expect((await kit.sessions.get(party.sessionId))?.bufferingHold).toBeNull();
  });

  it('does not pause with waitForBuffering off', async () => {
    await a.group.updateSettings(host.data, { waitForBuffering: false });
    await report(a, bo, 'buffering');
    await kit.clock.advance(2 * BUFFERING_HOLD_MS);
    expect(states(a)).toEqual([]);
  });

  it('turning waitForBuffering off during a hold drops it: the group stays paused until someone plays', async () => {
    await report(a, bo, 'buffering');
    await a.group.updateSettings(host.data, { waitForBuffering: false });
    expect((await kit.sessions.get(party.sessionId))?.bufferingHold).toBeNull();
    await kit.clock.advance(2 * BUFFERING_HOLD_MS);
    expect(states(a).map((s) => s.action)).toEqual(['pause']);
  });

  it('does not pause a group that is already paused, and one hold covers several buffering participants', async () => {
    const cy = await kit.sessionService().join(party.sessionId, { name: 'Cy' }, '192.0.2.9');
    const cySocket = await a.connect(party.sessionId, cy.participantId, 'Cy');
    await report(a, bo, 'buffering');
    await report(a, cySocket, 'buffering');
    expect(states(a).map((s) => s.action)).toEqual(['pause']);

    await a.playback.control(host.data, { action: 'pause' });
    await report(a, bo, 'ready');
    await report(a, bo, 'buffering');
    expect(states(a).map((s) => s.action)).toEqual(['pause', 'pause']);
  });

  it('two replicas deciding at the same moment resume a hold exactly once', async () => {
    const b = new Replica(kit); // no timers: this test drives the checks itself
    const cy = await kit.sessionService().join(party.sessionId, { name: 'Cy' }, '192.0.2.9');
    await b.connect(party.sessionId, cy.participantId, 'Cy');
    await report(a, bo, 'buffering');
    a.stop();
    await kit.clock.advance(BUFFERING_HOLD_MS);
    await Promise.all([a.supervisor.checkHold(party.sessionId), b.supervisor.checkHold(party.sessionId)]);
    expect(states(a, b).map((s) => s.action)).toEqual(['pause', 'play']);
  });
});
