import type { ActivityEvent, ChatMessage } from '@watch-party/contracts';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { ACTIVITY_MERGE_MS, clockTime } from './activity.service';
import { HOST_ABSENCE_MS } from './supervisor.service';
import { type FakeSocket, Replica } from './testing/replica';

const MEDIA_ID = 'AAAAAAAAAAAAAAAA';

describe('ActivityService: the party as system chat lines', () => {
  let kit: SessionKit;
  let r: Replica;
  let party: Party;
  let host: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    r = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo', 'Cy']);
    host = await r.connect(party.sessionId, party.host.participantId, 'Host');
  });
  afterEach(async () => {
    r.stop();
    await kit.close();
  });

  const joinAs = (i: 0 | 1, name: string) => r.connect(party.sessionId, party.guests[i].participantId, name);
  const system = async (): Promise<ChatMessage[]> =>
    (await kit.sessions.recentChat(party.sessionId, 50)).filter((m) => m.kind === 'system');
  const lines = async () => (await system()).map((m) => m.text);
  const events = async (): Promise<(ActivityEvent | undefined)[]> => (await system()).map((m) => m.system?.event);

  it('goes out after the states the same turn of the event loop sends: a second party\'s command read next is announced before the first one\'s line', async () => {
    const other = await createParty(kit, kit.sessionService(), []);
    const host2 = await r.connect(other.sessionId, other.host.participantId, 'Dee');
    r.broadcaster.clear();
    // Two hosts' commands arrive on two sockets: the second one's read runs in the next task.
    const second = new Promise<unknown>((resolve) =>
      setImmediate(() => resolve(r.send(host2, 'playback:control', { action: 'play' }))),
    );
    await Promise.all([r.send(host, 'playback:control', { action: 'play' }), second]);
    const order = r.broadcaster.emitted
      .filter((e) => e.event === 'playback:state' || e.event === 'chat:message')
      .map((e) => e.event);
    expect(order).toEqual(['playback:state', 'playback:state', 'chat:message', 'chat:message']);
  });

  it('writes one line per join, leave, kick, role and host change, stored and announced as chat:message', async () => {
    const bo = await joinAs(0, 'Bo');
    const boTab2 = await joinAs(0, 'Bo'); // a second tab is no news
    const cy = await joinAs(1, 'Cy');
    await r.disconnect(boTab2);
    await r.disconnect(bo);
    await r.send(host, 'role:set', { participantId: cy.data.participantId, role: 'controller' });
    await r.send(host, 'participant:kick', { participantId: bo.data.participantId });
    await r.send(host, 'role:set', { participantId: cy.data.participantId, role: 'host' });
    await r.disconnect(cy);
    expect(await lines()).toEqual([
      'Host joined',
      'Bo joined',
      'Cy joined',
      'Bo left',
      'Host made Cy a controller',
      'Host removed Bo',
      'Host made Cy the host',
      'Cy left',
    ]);
    expect((await system()).find((m) => m.system?.event === 'kick')).toMatchObject({
      participantId: host.data.participantId,
      name: 'Host',
      system: { event: 'kick', by: host.data.participantId, detail: 'Bo' },
    });
    const announced = r.broadcaster.sent('chat:message', { session: party.sessionId });
    expect(announced).toEqual(await system());
  });

  it('writes one line per play, pause, seek, rate and source change, and per queue change', async () => {
    kit.catalog.add(MEDIA_ID, 'Film');
    const step = () => kit.clock.advance(ACTIVITY_MERGE_MS + 1);
    await r.send(host, 'playback:control', { action: 'play', position: 65 });
    await step();
    await r.send(host, 'playback:control', { action: 'pause' });
    await step();
    await r.send(host, 'playback:control', { action: 'seek', position: 3725 });
    await step();
    await r.send(host, 'playback:control', { action: 'rate', rate: 1.5 });
    await step();
    await r.send(host, 'source:set', { source: { kind: 'media', mediaId: MEDIA_ID } });
    await step();
    const added = await r.send(host, 'queue:add', { source: { kind: 'url', url: 'https://cdn.example.test/b.mp4' }, title: 'Short' });
    await step();
    if (!added.ok) throw new Error(added.error.message);
    await r.send(host, 'queue:next', {});
    expect(await lines()).toEqual([
      'Host joined',
      'Host pressed play at 1:05',
      'Host paused at 1:07',
      'Host jumped to 1:02:05',
      'Host set the speed to 1.5×',
      'Host started “Film”',
      'Host queued “Short”',
      'Host skipped to “Short”',
    ]);
    expect(await events()).toEqual(['join', 'play', 'pause', 'seek', 'rate', 'source', 'queue', 'source']);
  });

  it(`merges quick repeats by one person (within ${ACTIVITY_MERGE_MS} ms): the same id arrives again with the newest text`, async () => {
    await r.send(host, 'playback:control', { action: 'seek', position: 10 });
    await kit.clock.advance(ACTIVITY_MERGE_MS - 500);
    await r.send(host, 'playback:control', { action: 'seek', position: 20 });
    await kit.clock.advance(ACTIVITY_MERGE_MS - 500);
    await r.send(host, 'playback:control', { action: 'seek', position: 30 });
    const seeks = r.broadcaster.sent('chat:message').filter((m) => m.system?.event === 'seek');
    expect(seeks.map((m) => m.text)).toEqual(['Host jumped to 0:10', 'Host jumped to 0:20', 'Host jumped to 0:30']);
    expect(new Set(seeks.map((m) => m.id)).size).toBe(1);
    expect(await lines()).toEqual(['Host joined', 'Host jumped to 0:30']);

    // Past the window, or after someone else's line, a new line starts.
    await kit.clock.advance(ACTIVITY_MERGE_MS + 1);
    await r.send(host, 'playback:control', { action: 'seek', position: 40 });
    await joinAs(0, 'Bo');
    await r.send(host, 'playback:control', { action: 'seek', position: 50 });
    expect(await lines()).toEqual(['Host joined', 'Host jumped to 0:30', 'Host jumped to 0:40', 'Bo joined', 'Host jumped to 0:50']);
  });

  it('writes what the server does itself (host migration, the queue moving on) with by null', async () => {
    await joinAs(0, 'Bo');
    await r.send(host, 'queue:add', { source: { kind: 'url', url: 'https://cdn.example.test/next.mp4' }, title: 'Next' });
    await r.send(host, 'playback:control', { action: 'play', position: 0 });
    await kit.clock.advance(30_000);
    await r.send(host, 'participant:status', { status: 'ended', position: 30 });
    await r.disconnect(host);
    await kit.clock.advance(HOST_ABSENCE_MS + 100);
    const server = (await system()).filter((m) => m.system?.by === null);
    expect(server.map((m) => [m.system?.event, m.text, m.participantId])).toEqual([
      ['source', 'Up next: “Next”', ''],
      ['host', 'Bo is now the host (Host was away)', ''],
    ]);
  });

  it('never fails the action it reports: a lost line is only logged', async () => {
    jest.spyOn(kit.sessions, 'appendActivity').mockRejectedValueOnce(new Error('disk on fire'));
    expect(await r.send(host, 'playback:control', { action: 'play' })).toMatchObject({ ok: true, state: { playing: true } });
  });

  it('formats positions as m:ss or h:mm:ss', () => {
    expect([clockTime(0), clockTime(59.9), clockTime(61), clockTime(3600), clockTime(36_000 + 62)]).toEqual([
      '0:00',
      '0:59',
      '1:01',
      '1:00:00',
      '10:01:02',
    ]);
  });
});
