import type { PlaybackState } from '@watch-party/contracts';
import { positionAt } from '@watch-party/sync-core';
import { type ApiInstance, type ClientSocket, connect, nextEvent, partyWith, request, startApi } from './api-instance';
import { useReplicaPair } from './two-replicas';

describe('playback authority, single process', () => {
  let srv: ApiInstance;
  const sockets: ClientSocket[] = [];
  const open = async (token: string) => {
    const c = await connect(srv.url, token);
    sockets.push(c.socket);
    return c;
  };
  beforeAll(async () => {
    srv = await startApi();
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => srv.close());

  it('answers time pings with the server clock', async () => {
    const { host } = await partyWith(srv.url, []);
    const { socket } = await open(host.token);
    const t0 = Date.now();
    const ack = await request(socket, 'time:ping', { t0 });
    expect(ack).toMatchObject({ ok: true, t0 });
    if (!ack.ok) throw new Error('ping failed');
    expect(ack.serverTime).toBeGreaterThanOrEqual(t0);
    expect(ack.serverTime).toBeLessThanOrEqual(Date.now());
  });

  it('applies host commands, stamps them, and tells everyone including the sender', async () => {
    const { host, guests } = await partyWith(srv.url, ['Bo']);
    const h = await open(host.token);
    const b = await open(guests[0].token);
    const seenByHost = nextEvent(h.socket, 'playback:state', (s) => s.rev === 1);
    const seenByGuest = nextEvent(b.socket, 'playback:state', (s) => s.rev === 1);
    const before = Date.now();
    const ack = await request(h.socket, 'playback:control', { action: 'play', position: 12.5 });
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.state).toMatchObject({ playing: true, position: 12.5, rate: 1, rev: 1, by: host.participantId, action: 'play' });
    expect(ack.state.at).toBeGreaterThanOrEqual(before);
    expect(await seenByHost).toEqual(ack.state);
    expect(await seenByGuest).toEqual(ack.state);

    const rate = await request(h.socket, 'playback:control', { action: 'rate', rate: 1.5 });
    if (!rate.ok) throw new Error(rate.error.message);
    // The position carries forward from the playing state at the moment of the change.
    expect(rate.state.position).toBeCloseTo(positionAt(ack.state, rate.state.at), 6);
    expect(rate.state).toMatchObject({ playing: true, rate: 1.5, rev: 2, action: 'rate' });

    const seek = await request(h.socket, 'playback:control', { action: 'seek', position: 60 });
    const pause = await request(h.socket, 'playback:control', { action: 'pause' });
    if (!seek.ok || !pause.ok) throw new Error('refused');
    expect(seek.state).toMatchObject({ playing: true, position: 60, rate: 1.5, rev: 3 });
    expect(pause.state).toMatchObject({ playing: false, rev: 4, action: 'pause' });
    expect(pause.state.position).toBeGreaterThanOrEqual(60);

    const again = await open(guests[0].token);
    expect(again.snapshot.state).toEqual(pause.state);
  });

  it('refuses viewers with FORBIDDEN and changes nothing, until the policy lets everyone control', async () => {
    const { host, guests } = await partyWith(srv.url, ['Bo']);
    const h = await open(host.token);
    const b = await open(guests[0].token);
    const refused = await request(b.socket, 'playback:control', { action: 'play' });
    expect(refused).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    const src = await request(b.socket, 'source:set', { source: { kind: 'url', url: 'https://v.test/a.mp4' } });
    expect(src).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await open(guests[0].token)).snapshot.state.rev).toBe(0);

    const settings = await request(h.socket, 'session:settings', { controlPolicy: 'everyone' });
    expect(settings).toMatchObject({ ok: true, session: { controlPolicy: 'everyone' } });
    const allowed = await request(b.socket, 'playback:control', { action: 'play' });
    expect(allowed).toMatchObject({ ok: true, state: { playing: true, rev: 1, by: guests[0].participantId } });
  });

  it('sets the source for everyone and resets the timeline', async () => {
    const { host, guests } = await partyWith(srv.url, ['Bo']);
    const h = await open(host.token);
    const b = await open(guests[0].token);
    await request(h.socket, 'playback:control', { action: 'play', position: 30 });
    const update = nextEvent(b.socket, 'session:update', (s) => s.source !== null);
    const source = { kind: 'url' as const, url: 'https://v.test/show.m3u8' };
    const ack = await request(h.socket, 'source:set', { source });
    expect(ack).toMatchObject({ ok: true, state: { playing: false, position: 0, rate: 1, rev: 2, action: 'source' } });
    expect((await update).source).toEqual(source);
    expect((await open(guests[0].token)).snapshot.session.source).toEqual(source);
  });
});

describe('playback authority across two replicas', () => {
  const pair = useReplicaPair();
  const { sockets } = pair;

  it('200 concurrent commands from 10 controllers on two replicas: none lost, rev strictly increasing, one final state', async () => {
    const names = Array.from({ length: 9 }, (_, i) => `C${i}`);
    const { host, guests } = await partyWith(pair.a.url, names, { controlPolicy: 'everyone' });
    const tokens = [host.token, ...guests.map((g) => g.token)];
    const clients = await Promise.all(tokens.map((t, i) => connect(i % 2 ? pair.b.url : pair.a.url, t)));
    sockets.push(...clients.map((c) => c.socket));
    const received: PlaybackState[][] = clients.map(() => []);
    clients.forEach((c, i) => c.socket.on('playback:state', (s) => received[i].push(s)));

    const commands = clients.flatMap((c, i) =>
      Array.from({ length: 20 }, (_, j) => {
        const k = i * 20 + j;
        const payload =
          k % 4 === 0 ? { action: 'play' as const }
          : k % 4 === 1 ? { action: 'pause' as const }
          : k % 4 === 2 ? { action: 'seek' as const, position: k }
          : { action: 'rate' as const, rate: 0.5 + (k % 7) * 0.25 };
        return request(c.socket, 'playback:control', payload);
      }),
    );
    const acks = await Promise.all(commands);
    const revs = acks.map((ack) => {
      if (!ack.ok) throw new Error(`refused: ${ack.error.code} ${ack.error.message}`);
      return ack.state.rev;
    });
    expect(new Set(revs).size).toBe(200);
    expect(Math.min(...revs)).toBe(1);
    expect(Math.max(...revs)).toBe(200);

    // Every client converges on rev 200, and the states it saw, kept in rev order, only grow.
    await new Promise((r) => setTimeout(r, 300));
    const final = acks.map((x) => (x.ok ? x.state : null)).find((s) => s?.rev === 200);
    for (const list of received) {
      expect(list).toHaveLength(200);
      const newest = list.reduce((m, s) => (s.rev > m.rev ? s : m));
      expect(newest).toEqual(final);
    }
    const stored = await connect(pair.b.url, host.token);
    sockets.push(stored.socket);
    expect(stored.snapshot.state).toEqual(final);
    expect(stored.snapshot.state.at).toBeGreaterThanOrEqual(Math.max(...acks.map((x) => (x.ok ? x.state.at : 0))) - 0);
  });

  it('a host on replica A drives viewers on replica B', async () => {
    const { host, guests } = await partyWith(pair.a.url, ['V1', 'V2']);
    const h = await connect(pair.a.url, host.token);
    const v = await Promise.all(guests.map((g) => connect(pair.b.url, g.token)));
    sockets.push(h.socket, ...v.map((x) => x.socket));
    const seen = v.map((x) => nextEvent(x.socket, 'playback:state', (s) => s.rev === 1));
    const ack = await request(h.socket, 'playback:control', { action: 'seek', position: 42 });
    for (const s of await Promise.all(seen)) expect(s).toEqual(ack.ok && ack.state);
  });
});
