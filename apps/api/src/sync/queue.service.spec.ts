import { LIMITS, type PlaybackState, type QueueItem } from '@watch-party/contracts';
import { newId } from '../common/ids';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { ENDED_REPORT_TOLERANCE_S } from './queue.service';
import { SUPERVISOR_SWEEP_MS } from './supervisor.service';
import { type FakeSocket, Replica } from './testing/replica';

const MEDIA_ID = 'AAAAAAAAAAAAAAAA';
const NEXT_ID = 'BBBBBBBBBBBBBBBB';
const url = (name: string) => ({ kind: 'url' as const, url: `https://cdn.example.test/${name}.mp4` });

/** Every `playback:state` with action "source" announced by any of `replicas`. */
const sourceStates = (...replicas: Replica[]): PlaybackState[] =>
  replicas.flatMap((r) => r.broadcaster.sent('playback:state')).filter((s) => s.action === 'source');

describe('QueueService', () => {
  let kit: SessionKit;
  let a: Replica;
  let b: Replica;
  let party: Party;
  let host: FakeSocket;
  let bo: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    a = new Replica(kit).start();
    b = new Replica(kit).start();
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    host = await a.connect(party.sessionId, party.host.participantId, 'Host');
    bo = await b.connect(party.sessionId, party.guests[0].participantId, 'Bo');
  });
  afterEach(async () => {
    a.stop();
    b.stop();
    await kit.close();
  });

  const queue = async () => (await kit.sessions.get(party.sessionId))?.queue ?? [];
  const add = async (socket: FakeSocket, replica: Replica, payload: object): Promise<QueueItem> => {
    const ack = await replica.send(socket, 'queue:add', payload);
    if (!ack.ok) throw new Error(ack.error.message);
    return (ack as { ok: true; item: QueueItem }).item;
  };

  it('lets everyone add by default, titling an item after its library item or URL, and announces the queue', async () => {
    kit.catalog.add(MEDIA_ID, 'Film night');
    const film = await add(bo, b, { source: { kind: 'media', mediaId: MEDIA_ID } });
    const clip = await add(host, a, { source: url('clip') });
    const named = await add(bo, b, { source: url('x'), title: '  Trailer  ' });
    expect([film.title, clip.title, named.title]).toEqual(['Film night', 'https://cdn.example.test/clip.mp4', 'Trailer']);
    expect(film).toMatchObject({ addedBy: bo.data.participantId, source: { kind: 'media', mediaId: MEDIA_ID } });
    expect(await queue()).toEqual([film, clip, named]);
    expect(b.broadcaster.last('queue:update', { session: party.sessionId })).toEqual([film, clip, named]);
    expect(await b.send(bo, 'queue:add', { source: { kind: 'media', mediaId: NEXT_ID } })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no such media item' },
    });
  });

  it('takes adds only from controllers under queuePolicy "controllers", and at most LIMITS.queueItems items', async () => {
    expect(await a.send(host, 'session:settings', { queuePolicy: 'controllers' })).toMatchObject({ ok: true, session: { queuePolicy: 'controllers' } });
    expect(await b.send(bo, 'queue:add', { source: url('a') })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    for (let i = 0; i < LIMITS.queueItems; i++) {
      await kit.sessions.addQueueItem(party.sessionId, { id: newId(), source: url(`${i}`), title: `${i}`, addedBy: 'x' }, LIMITS.queueItems, SESSION_TTL_MS);
    }
    expect(await a.send(host, 'queue:add', { source: url('one-too-many') })).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: `the queue is full (${LIMITS.queueItems} items)` },
    });
    expect(await a.send(host, 'queue:add', { source: { kind: 'url', url: 'ftp://x.test/a.mp4' } })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('lets controllers and whoever added an item remove it, and only controllers move items', async () => {
    const mine = await add(bo, b, { source: url('mine') });
    const hosts = await add(host, a, { source: url('hosts') });
    const third = await add(host, a, { source: url('third') });
    expect(await b.send(bo, 'queue:remove', { itemId: hosts.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await b.send(bo, 'queue:move', { itemId: mine.id, index: 2 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await a.send(host, 'queue:move', { itemId: third.id, index: 0 })).toEqual({ ok: true });
    expect((await queue()).map((i) => i.id)).toEqual([third.id, mine.id, hosts.id]);
    expect(await b.send(bo, 'queue:remove', { itemId: mine.id })).toEqual({ ok: true });
    expect(await a.send(host, 'queue:remove', { itemId: mine.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await a.send(host, 'queue:move', { itemId: mine.id, index: 0 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(b.broadcaster.last('queue:update')).toEqual([third, hosts]); // announced by the replica that removed it
  });

  it('queue:next makes the first item the source, playing from 0 with rev + 1; an empty queue is a BAD_REQUEST', async () => {
    expect(await a.send(host, 'queue:next', {})).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'the queue is empty' } });
    const first = await add(bo, b, { source: url('first') });
    const second = await add(bo, b, { source: url('second') });
    expect(await b.send(bo, 'queue:next', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await a.send(host, 'playback:control', { action: 'play', position: 30 });
    const ack = await a.send(host, 'queue:next', {});
    expect(ack).toEqual({
      ok: true,
      state: { playing: true, position: 0, rate: 1, at: kit.clock.now(), rev: 2, by: host.data.participantId, action: 'source' },
    });
    const session = await kit.sessions.get(party.sessionId);
    expect(session?.source).toEqual(first.source);
    expect(session?.queue).toEqual([second]);
    expect(a.broadcaster.last('session:update')).toMatchObject({ source: first.source, queue: [second] });
    expect(a.broadcaster.last('queue:update')).toEqual([second]);
  });

  it('starts the next item once when controllers on two replicas report "ended" together', async () => {
    await a.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' });
    const next = await add(bo, b, { source: url('next') });
    await add(bo, b, { source: url('after') });
    await a.send(host, 'playback:control', { action: 'play', position: 0 });
    await kit.clock.advance(90_000);
    await Promise.all([
      a.send(host, 'participant:status', { status: 'ended', position: 90 }),
      b.send(bo, 'participant:status', { status: 'ended', position: 90.2 }),
    ]);
    expect(sourceStates(a, b)).toHaveLength(1);
    expect(sourceStates(a, b)[0]).toMatchObject({ playing: true, position: 0, by: null });
    expect((await kit.sessions.get(party.sessionId))?.source).toEqual(next.source);
    expect((await queue()).map((i) => i.title)).toEqual(['https://cdn.example.test/after.mp4']);
  });

  it('a late "ended" about the item that just finished never skips the next one (reports name the rev they follow)', async () => {
    await a.send(host, 'role:set', { participantId: bo.data.participantId, role: 'controller' });
    await add(bo, b, { source: url('next') });
    await add(bo, b, { source: url('after') });
    const played = await a.send(host, 'playback:control', { action: 'play', position: 0 });
    const rev = (played as unknown as { state: { rev: number } }).state.rev;
    await kit.clock.advance(3000); // a 3 s clip
    await a.send(host, 'participant:status', { status: 'ended', position: 3, rev });
    expect(sourceStates(a, b)).toHaveLength(1);
    // Bo's copy ended a moment later; the report is about the clip, not the item now playing from 0.
    await kit.clock.advance(200);
    await b.send(bo, 'participant:status', { status: 'ended', position: 3.1, rev });
    expect(sourceStates(a, b)).toHaveLength(1);
    expect((await queue()).map((i) => i.title)).toEqual(['https://cdn.example.test/after.mp4']);
  });

  it(`ignores an "ended" report more than ${ENDED_REPORT_TOLERANCE_S} s away from the group's position, and one from a viewer`, async () => {
    await add(bo, b, { source: url('next') });
    await a.send(host, 'playback:control', { action: 'play', position: 0 });
    await kit.clock.advance(10_000);
    // A late report about the previous source (it ended at 3600 s for this participant).
    await a.send(host, 'participant:status', { status: 'ended', position: 3600 });
    await b.send(bo, 'participant:status', { status: 'ended', position: 10 });
    expect(sourceStates(a, b)).toHaveLength(0);
    expect(await queue()).toHaveLength(1);
  });

  it('pauses the group at the end when the queue is empty', async () => {
    await a.send(host, 'playback:control', { action: 'play', position: 0 });
    await kit.clock.advance(42_000);
    await a.send(host, 'participant:status', { status: 'ended', position: 42 });
    expect(a.broadcaster.last('playback:state')).toMatchObject({ playing: false, position: 42, action: 'pause', rev: 2 });
  });

  it('starts the next item exactly once when a library item of known duration has played out', async () => {
    kit.catalog.add(MEDIA_ID, 'Film'); // 60 s long
    const next = await add(bo, b, { source: url('next') });
    await a.send(host, 'source:set', { source: { kind: 'media', mediaId: MEDIA_ID } });
    await a.send(host, 'playback:control', { action: 'play', position: 0 });
    await kit.clock.advance(59_000);
    expect(sourceStates(a, b)).toHaveLength(1); // only the source:set itself
    // A seek back re-arms the timer: the end moves 20 s later.
    await a.send(host, 'playback:control', { action: 'seek', position: 39 });
    await kit.clock.advance(19_000);
    expect(sourceStates(a, b)).toHaveLength(1);
    await kit.clock.advance(2_000 + 5 * SUPERVISOR_SWEEP_MS);
    const advanced = sourceStates(a, b).slice(1);
    expect(advanced).toHaveLength(1);
    expect(advanced[0]).toMatchObject({ playing: true, position: 0, action: 'source' });
    expect((await kit.sessions.get(party.sessionId))?.source).toEqual(next.source);
  });

  it("moves on at the end of a library item even when the replica that armed the timer is gone (another's sweep)", async () => {
    kit.catalog.add(MEDIA_ID, 'Film'); // 60 s long
    await add(bo, b, { source: url('next') });
    await a.send(host, 'source:set', { source: { kind: 'media', mediaId: MEDIA_ID } });
    await a.send(host, 'playback:control', { action: 'play', position: 50 });
    a.stop();
    await kit.clock.advance(10_000 + SUPERVISOR_SWEEP_MS);
    expect(sourceStates(b)).toHaveLength(1);
    expect(await queue()).toEqual([]);
  });
});
