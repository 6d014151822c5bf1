import type { ActivityEvent, ChatMessage, QueueItem, Source } from '@watch-party/contracts';
import type { RepositoryFixture } from './repository-matrix';
import { applyCommand, initialPlaybackState } from '@watch-party/sync-core';
import { newId } from '../src/common/ids';
import type { ParticipantRecord, SessionRecord, SessionRepository } from '../src/session/session.repository';

const TTL = 60_000;

const sessionRecord = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: newId(),
  name: 'Movie night',
  passwordHash: null,
  createdAt: new Date().toISOString(),
  controlPolicy: 'host',
  waitForBuffering: false,
  source: null,
  bufferingHold: null,
  queue: [],
  queuePolicy: 'everyone',
  locked: false,
  ...over,
});

const participant = (name: string, joinedAt: number, role: ParticipantRecord['role'] = 'viewer'): ParticipantRecord => ({
  id: newId(),
  name,
  role,
  joinedAt,
  status: 'paused',
  driftMs: null,
});

const queueItem = (title: string, source: Source = { kind: 'url', url: `https://example.test/${newId()}.mp4` }): QueueItem => ({
  id: newId(),
  source,
  title,
  addedBy: newId(),
});

export type SessionRepositoryFixture = RepositoryFixture<SessionRepository>;

/** One behaviour, every storage: each SessionRepository implementation must pass this. */
export function sessionRepositoryContract(
  name: string,
  setup: () => Promise<SessionRepositoryFixture>,
  teardown: () => Promise<void>,
  { durable = false }: { durable?: boolean } = {},
) {
  describe(`SessionRepository contract: ${name}`, () => {
    let repo: SessionRepository;
    let peer: SessionRepository;
    let reopen: SessionRepositoryFixture['reopen'];

    beforeEach(async () => {
      ({ repo, peer, reopen } = await setup());
    });
    afterEach(teardown);

    it('stores a session with its host and initial state, readable from a peer', async () => {
      const s = sessionRecord({ source: { kind: 'url', url: 'https://example.test/a.mp4' } });
      const host = participant('Ann', 1, 'host');
      await repo.create(s, host, initialPlaybackState(1000), TTL);
      expect(await peer.get(s.id)).toEqual(s);
      expect(await peer.getParticipant(s.id, host.id)).toEqual(host);
      expect(await peer.getState(s.id)).toEqual(initialPlaybackState(1000));
      expect(await peer.countParticipants(s.id)).toBe(1);
    });

    it('returns null / empty for unknown sessions', async () => {
      const id = newId();
      expect(await repo.get(id)).toBeNull();
      expect(await repo.getState(id)).toBeNull();
      expect(await repo.getParticipant(id, newId())).toBeNull();
      expect(await repo.listParticipants(id)).toEqual([]);
      expect(await repo.countParticipants(id)).toBe(0);
      expect(await repo.addParticipant(id, participant('Bo', 2), 10, TTL)).toBe('not_found');
      expect(await repo.get(id)).toBeNull(); // nothing half-created
    });

    it('adds participants up to the limit and lists them oldest first', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 10, 'host'), initialPlaybackState(0), TTL);
      expect(await repo.addParticipant(s.id, participant('Cy', 30), 3, TTL)).toBe('ok');
      expect(await peer.addParticipant(s.id, participant('Bo', 20), 3, TTL)).toBe('ok');
      expect(await repo.addParticipant(s.id, participant('Di', 40), 3, TTL)).toBe('full');
      const names = (await peer.listParticipants(s.id)).map((p) => p.name);
      expect(names).toEqual(['Ann', 'Bo', 'Cy']);
      expect(await repo.countParticipants(s.id)).toBe(3);
    });

    it('tracks connections per socket across peers', async () => {
      const s = sessionRecord();
      const ann = participant('Ann', 1, 'host');
      const bo = participant('Bo', 2);
      await repo.create(s, ann, initialPlaybackState(0), TTL);
      await repo.addParticipant(s.id, bo, 10, TTL);
      await repo.addConnection(s.id, 'sock-a1', ann.id, TTL);
      await repo.addConnection(s.id, 'sock-a2', ann.id, TTL);
      await peer.addConnection(s.id, 'sock-b1', bo.id, TTL);
      expect(await repo.connectedParticipantIds(s.id)).toEqual(new Set([ann.id, bo.id]));
      await repo.removeConnection(s.id, 'sock-a1', TTL);
      expect(await peer.connectedParticipantIds(s.id)).toEqual(new Set([ann.id, bo.id]));
      await repo.removeConnection(s.id, 'sock-a2', TTL);
      await peer.removeConnection(s.id, 'sock-b1', TTL);
      expect(await repo.connectedParticipantIds(s.id)).toEqual(new Set());
    });

    it('ignores connections to unknown sessions', async () => {
      const id = newId();
      await repo.addConnection(id, 'sock', newId(), TTL);
      expect(await repo.connectedParticipantIds(id)).toEqual(new Set());
      expect(await repo.get(id)).toBeNull();
    });

    it('compares and sets the playback state atomically, with a session patch', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const play = applyCommand(initialPlaybackState(0), { action: 'play' }, 1000, 'ann');
      expect(await repo.casState(s.id, 0, play, null, TTL)).toEqual({ ok: true });
      // A second writer that read rev 0 loses and learns the current state.
      const stale = applyCommand(initialPlaybackState(0), { action: 'pause' }, 1001, 'bo');
      expect(await peer.casState(s.id, 0, stale, null, TTL)).toEqual({ ok: false, current: play });
      const source = { kind: 'url' as const, url: 'https://example.test/v.m3u8' };
      const next = applyCommand(play, { action: 'source' }, 2000, 'ann');
      expect(await peer.casState(s.id, 1, next, { source, bufferingHold: null }, TTL)).toEqual({ ok: true });
      expect(await repo.getState(s.id)).toEqual(next);
      expect((await repo.get(s.id))?.source).toEqual(source);
      expect(await repo.casState(newId(), 0, next, null, TTL)).toEqual({ ok: false, current: null });
    });

    it('keeps every queue item when two replicas add at once, and no more than the limit', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const items = Array.from({ length: 10 }, (_, i) => queueItem(`Item ${i}`));
      const results = await Promise.all(items.map((item, i) => (i % 2 ? peer : repo).addQueueItem(s.id, item, 6, TTL)));
      expect(results.filter((r) => r === 'ok')).toHaveLength(6);
      expect(results.filter((r) => r === 'full')).toHaveLength(4);
      const stored = (await peer.get(s.id))?.queue ?? [];
      expect(stored.map((i) => i.id).sort()).toEqual(items.filter((_, i) => results[i] === 'ok').map((i) => i.id).sort());
      expect(await repo.addQueueItem(newId(), queueItem('x'), 6, TTL)).toBe('not_found');
    });

    it('removes and moves queue items, keeping the others in order', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const [a, b, c] = [queueItem('A'), queueItem('B'), queueItem('C')];
      for (const item of [a, b, c]) await repo.addQueueItem(s.id, item, 10, TTL);
      const titles = async () => (await peer.get(s.id))?.queue.map((i) => i.title);
      expect(await peer.moveQueueItem(s.id, c.id, 0, TTL)).toBe(true);
      expect(await titles()).toEqual(['C', 'A', 'B']);
      expect(await repo.moveQueueItem(s.id, c.id, 99, TTL)).toBe(true);
      expect(await titles()).toEqual(['A', 'B', 'C']);
      expect(await repo.moveQueueItem(s.id, a.id, 1, TTL)).toBe(true);
      expect(await titles()).toEqual(['B', 'A', 'C']);
      expect(await peer.removeQueueItem(s.id, a.id, TTL)).toEqual(a);
      expect(await repo.removeQueueItem(s.id, a.id, TTL)).toBeNull();
      expect(await repo.moveQueueItem(s.id, a.id, 0, TTL)).toBe(false);
      expect(await titles()).toEqual(['B', 'C']);
    });

    it('moves the queue on from a rev exactly once: its head becomes the source in the same step', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const subtitles = [{ url: 'https://example.test/en.vtt', label: 'English', lang: 'en' }];
      const a = queueItem('A', { kind: 'url', url: 'https://example.test/a.mp4', subtitles });
      const b = queueItem('B');
      await repo.addQueueItem(s.id, a, 10, TTL);
      await repo.addQueueItem(s.id, b, 10, TTL);
      const next = { ...applyCommand(initialPlaybackState(0), { action: 'source' }, 1000, null), playing: true };
      const patch = { source: a.source, bufferingHold: null };
      const results = await Promise.all([
        repo.casStateShiftQueue(s.id, 0, a.id, next, patch, TTL),
        peer.casStateShiftQueue(s.id, 0, a.id, next, patch, TTL),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.find((r) => !r.ok)).toEqual({ ok: false, current: next });
      const after = await peer.get(s.id);
      expect(after?.queue).toEqual([b]);
      expect(after?.source).toEqual(a.source);
      expect(await peer.getState(s.id)).toEqual(next);
      // The right rev with another head changes nothing, and says so with the rev unchanged.
      const later = applyCommand(next, { action: 'pause' }, 2000, null);
      expect(await repo.casStateShiftQueue(s.id, 1, a.id, later, null, TTL)).toEqual({ ok: false, current: next });
      expect((await repo.get(s.id))?.queue).toEqual([b]);
      expect(await repo.casStateShiftQueue(newId(), 0, a.id, later, null, TTL)).toEqual({ ok: false, current: null });
    });

    it('bans devices per party, each once, up to the limit, seen by every peer', async () => {
      const s = sessionRecord();
      const other = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      await repo.create(other, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      expect(await repo.banDevice(s.id, 'device-1', 2, TTL)).toBe('ok');
      expect(await peer.banDevice(s.id, 'device-1', 2, TTL)).toBe('ok');
      expect(await peer.banDevice(s.id, 'device-2', 2, TTL)).toBe('ok');
      expect(await repo.banDevice(s.id, 'device-3', 2, TTL)).toBe('full');
      expect(await peer.isDeviceBanned(s.id, 'device-1')).toBe(true);
      expect(await peer.isDeviceBanned(s.id, 'device-3')).toBe(false);
      expect(await repo.isDeviceBanned(other.id, 'device-1')).toBe(false);
      expect(await repo.banDevice(newId(), 'device-1', 2, TTL)).toBe('not_found');
    });

    it('appends a chat message once per sender and clientId while the window lasts, whichever peer is asked', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const msg = (id: string, participantId = 'p-ann'): ChatMessage => ({ id, participantId, name: 'Ann', text: id, at: 1, kind: 'user' });
      const ONCE_MS = 150;
      const both = await Promise.all([
        repo.appendChatOnce(s.id, msg('m1'), 'client-1', 50, ONCE_MS, TTL),
        peer.appendChatOnce(s.id, msg('m2'), 'client-1', 50, ONCE_MS, TTL),
      ]);
      expect(both[0]).toEqual(both[1]);
      const first = both[0];
      expect(await peer.appendChatOnce(s.id, msg('m3'), 'client-1', 50, ONCE_MS, TTL)).toEqual(first);
      // Another sender's clientId is theirs alone.
      expect(await repo.appendChatOnce(s.id, msg('m4', 'p-bo'), 'client-1', 50, ONCE_MS, TTL)).toEqual(msg('m4', 'p-bo'));
      expect((await peer.recentChat(s.id, 50)).map((m) => m.id)).toEqual([first?.id, 'm4']);
      await new Promise((r) => setTimeout(r, ONCE_MS + 50));
      expect(await peer.appendChatOnce(s.id, msg('m5'), 'client-1', 50, ONCE_MS, TTL)).toEqual(msg('m5'));
      expect(await repo.appendChatOnce(newId(), msg('m6'), 'client-1', 50, ONCE_MS, TTL)).toBeNull();
    });

    it('merges a quick repeat of the same system event by the same person into the newest line, keeping its id', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      const line = (id: string, event: ActivityEvent, by: string | null, at: number): ChatMessage => ({
        id,
        participantId: by ?? '',
        name: by ?? '',
        text: `${event} at ${at} — “quoted” /path`,
        at,
        kind: 'system',
        system: { event, by, detail: `${at}` },
      });
      expect(await repo.appendActivity(s.id, line('s1', 'seek', 'ann', 1000), 2000, 50, TTL)).toEqual(line('s1', 'seek', 'ann', 1000));
      // Same event, same person, within the window: the newest line takes the new text, keeps the id.
      expect(await peer.appendActivity(s.id, line('s2', 'seek', 'ann', 2500), 2000, 50, TTL)).toEqual({ ...line('s2', 'seek', 'ann', 2500), id: 's1' });
      expect(await repo.appendActivity(s.id, line('s3', 'seek', 'bo', 2600), 2000, 50, TTL)).toEqual(line('s3', 'seek', 'bo', 2600));
      expect(await repo.appendActivity(s.id, line('s4', 'pause', 'bo', 2700), 2000, 50, TTL)).toEqual(line('s4', 'pause', 'bo', 2700));
      expect(await repo.appendActivity(s.id, line('s5', 'pause', 'bo', 4800), 2000, 50, TTL)).toEqual(line('s5', 'pause', 'bo', 4800));
      expect(await repo.appendActivity(s.id, line('s6', 'host', null, 4900), 2000, 50, TTL)).toEqual(line('s6', 'host', null, 4900));
      expect(await peer.appendActivity(s.id, line('s7', 'host', null, 5000), 2000, 50, TTL)).toEqual({ ...line('s7', 'host', null, 5000), id: 's6' });
      // A user's message in between is never merged into.
      await repo.appendChat(s.id, { id: 'u1', participantId: 'bo', name: 'Bo', text: 'hi', at: 5100, kind: 'user' }, 50, TTL);
      expect(await repo.appendActivity(s.id, line('s8', 'host', null, 5200), 2000, 50, TTL)).toEqual(line('s8', 'host', null, 5200));
      expect((await peer.recentChat(s.id, 50)).map((m) => m.id)).toEqual(['s1', 's3', 's4', 's5', 's6', 'u1', 's8']);
      expect((await peer.recentChat(s.id, 50))[0]).toEqual({ ...line('s2', 'seek', 'ann', 2500), id: 's1' });
      expect(await repo.appendActivity(newId(), line('x', 'play', null, 1), 2000, 50, TTL)).toBeNull();
    });

    it('patches sessions and participants, keeping other fields', async () => {
      const s = sessionRecord();
      const bo = participant('Bo', 2);
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      await repo.addParticipant(s.id, bo, 10, TTL);
      const hold = { since: 1795287085123, rev: 7 };
      const updated = await peer.updateSession(s.id, { waitForBuffering: true, bufferingHold: hold }, TTL);
      expect(updated).toEqual({ ...s, waitForBuffering: true, bufferingHold: hold });
      expect(await repo.updateSession(s.id, { bufferingHold: null }, TTL)).toEqual({ ...s, waitForBuffering: true });
      expect(await repo.updateParticipant(s.id, bo.id, { status: 'buffering', driftMs: -3.25 }, TTL)).toEqual({
        ...bo,
        status: 'buffering',
        driftMs: -3.25,
      });
      expect(await peer.getParticipant(s.id, bo.id)).toMatchObject({ name: 'Bo', role: 'viewer', status: 'buffering' });
      expect(await repo.updateParticipant(s.id, newId(), { status: 'ready' }, TTL)).toBeNull();
      expect(await repo.updateSession(newId(), { waitForBuffering: true }, TTL)).toBeNull();
    });

    it('transfers host exactly once', async () => {
      const s = sessionRecord();
      const ann = participant('Ann', 1, 'host');
      const bo = participant('Bo', 2);
      const cy = participant('Cy', 3);
      await repo.create(s, ann, initialPlaybackState(0), TTL);
      await repo.addParticipant(s.id, bo, 10, TTL);
      await repo.addParticipant(s.id, cy, 10, TTL);
      const results = await Promise.all([
        repo.transferHost(s.id, ann.id, bo.id, TTL),
        peer.transferHost(s.id, ann.id, cy.id, TTL),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const roles = (await repo.listParticipants(s.id)).map((p) => p.role).sort();
      expect(roles).toEqual(['controller', 'host', 'viewer']);
      expect(await repo.transferHost(s.id, bo.id, bo.id, TTL)).toBe(false);
    });

    it('removes a participant', async () => {
      const s = sessionRecord();
      const bo = participant('Bo', 2);
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      await repo.addParticipant(s.id, bo, 10, TTL);
      expect(await peer.removeParticipant(s.id, bo.id, TTL)).toBe(true);
      expect(await repo.getParticipant(s.id, bo.id)).toBeNull();
      expect(await repo.removeParticipant(s.id, bo.id, TTL)).toBe(false);
      expect(await repo.countParticipants(s.id)).toBe(1);
    });

    it('keeps the newest chat messages, oldest first', async () => {
      const s = sessionRecord();
      await repo.create(s, participant('Ann', 1, 'host'), initialPlaybackState(0), TTL);
      for (let i = 0; i < 7; i++) {
        const msg: ChatMessage = { id: `m${i}`, participantId: 'p', name: 'Ann', text: `hello ${i} ✓`, at: 1000 + i, kind: 'user' };
        expect(await (i % 2 ? repo : peer).appendChat(s.id, msg, 5, TTL)).toBe(true);
      }
      expect((await peer.recentChat(s.id, 50)).map((m) => m.text)).toEqual(['hello 2 ✓', 'hello 3 ✓', 'hello 4 ✓', 'hello 5 ✓', 'hello 6 ✓']);
      expect((await repo.recentChat(s.id, 2)).map((m) => m.id)).toEqual(['m5', 'm6']);
      expect(await repo.appendChat(newId(), { id: 'x', participantId: 'p', name: 'A', text: 't', at: 1, kind: 'user' }, 5, TTL)).toBe(false);
    });

    it('forgets a session and everything it owns when its expiry passes', async () => {
      const s = sessionRecord();
      const host = participant('Ann', 1, 'host');
      await repo.create(s, host, initialPlaybackState(0), TTL);
      await repo.addConnection(s.id, 'sock', host.id, TTL);
      await repo.appendChat(s.id, { id: 'm', participantId: host.id, name: 'Ann', text: 'hi', at: 1, kind: 'user' }, 50, TTL);
      await repo.removeConnection(s.id, 'sock', 150);
      await new Promise((r) => setTimeout(r, 80));
      expect(await repo.get(s.id)).not.toBeNull();
      await repo.refreshExpiry(s.id, 150); // activity pushes the expiry out
      await new Promise((r) => setTimeout(r, 100));
      expect(await peer.get(s.id)).not.toBeNull();
      await new Promise((r) => setTimeout(r, 120));
      expect(await peer.get(s.id)).toBeNull();
      expect(await peer.getState(s.id)).toBeNull();
      expect(await peer.getParticipant(s.id, host.id)).toBeNull();
      expect(await peer.countParticipants(s.id)).toBe(0);
      expect(await peer.recentChat(s.id, 50)).toEqual([]);
    });

    // Storages that die with their process have nothing to reopen.
    if (!durable) return;
    it('keeps a party whole across a reopen (restart), without its presence', async () => {
      if (!reopen) throw new Error('a durable storage fixture must offer reopen()');
      const s = sessionRecord({ passwordHash: 'scrypt$x', source: { kind: 'url', url: 'https://example.test/a.mp4' } });
      const ann = participant('Ann', 1, 'host');
      const bo = participant('Bo', 2);
      const gone = participant('Cy', 3);
      await repo.create(s, ann, initialPlaybackState(0), TTL);
      await repo.addParticipant(s.id, bo, 10, TTL);
      await repo.addParticipant(s.id, gone, 10, TTL);
      await repo.removeParticipant(s.id, gone.id, TTL);
      await repo.updateParticipant(s.id, bo.id, { role: 'controller' }, TTL);
      await repo.updateParticipant(s.id, bo.id, { status: 'buffering', driftMs: 12.5 }, TTL);
      const hold = { since: 1795287085123, rev: 2 };
      await repo.updateSession(s.id, { controlPolicy: 'everyone', waitForBuffering: true, bufferingHold: hold }, TTL);
      const played = applyCommand(initialPlaybackState(0), { action: 'play' }, 1000, ann.id);
      const seeked = applyCommand(played, { action: 'seek', position: 754.25 }, 2000, bo.id);
      expect(await repo.casState(s.id, 0, played, null, TTL)).toEqual({ ok: true });
      expect(await repo.casState(s.id, 1, seeked, null, TTL)).toEqual({ ok: true });
      const chat: ChatMessage = { id: 'm1', participantId: bo.id, name: 'Bo', text: 'still here ✓', at: 5, kind: 'user' };
      await repo.appendChat(s.id, chat, 50, TTL);
      const queued = queueItem('Next up');
      await repo.addQueueItem(s.id, queued, 10, TTL);
      await repo.banDevice(s.id, 'device-banned', 10, TTL);
      await repo.addConnection(s.id, 'sock-1', ann.id, TTL);
      const other = sessionRecord();
      await repo.create(other, participant('Di', 1, 'host'), initialPlaybackState(0), 100);

      const again = await reopen();
      expect(await again.get(s.id)).toEqual({
        ...s,
        controlPolicy: 'everyone',
        waitForBuffering: true,
        bufferingHold: hold,
        queue: [queued],
      });
      expect(await again.listParticipants(s.id)).toEqual([ann, { ...bo, role: 'controller', status: 'buffering', driftMs: 12.5 }]);
      expect(await again.getParticipant(s.id, gone.id)).toBeNull();
      expect(await again.isDeviceBanned(s.id, 'device-banned')).toBe(true);
      expect(await again.getState(s.id)).toEqual(seeked);
      expect(await again.recentChat(s.id, 50)).toEqual([chat]);
      expect(await again.connectedParticipantIds(s.id)).toEqual(new Set());
      // The compare-and-set continues from the stored rev; the expiry was stored too.
      expect(await again.casState(s.id, 1, played, null, TTL)).toEqual({ ok: false, current: seeked });
      await new Promise((r) => setTimeout(r, 150));
      expect(await again.get(other.id)).toBeNull();
      expect(await again.get(s.id)).not.toBeNull();
    });
  });
}
