import { type ApiInstance, type ClientSocket, connect, nextEvent, partyWith, request, startApi } from './api-instance';
import { type RedisServer, startRedis } from './redis-server';

describe('chat, roles, kicks and settings across two replicas', () => {
  let redis: RedisServer;
  let a: ApiInstance;
  let b: ApiInstance;
  const sockets: ClientSocket[] = [];
  const open = async (url: string, token: string) => {
    const c = await connect(url, token);
    sockets.push(c.socket);
    return c;
  };
  beforeAll(async () => {
    redis = await startRedis();
    a = await startApi({ REDIS_URL: redis.url });
    b = await startApi({ REDIS_URL: redis.url });
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.close();
  });

  it('chat crosses replicas, keeps the last 50, and survives a replica restart', async () => {
    const { host, guests } = await partyWith(a.url, ['Bo', 'G2', 'G3', 'G4', 'G5']);
    const h = await open(a.url, host.token);
    const bo = await open(b.url, guests[0].token);
    const others = await Promise.all(guests.slice(1).map((g, i) => open(i % 2 ? a.url : b.url, g.token)));
    const chatters = [h, bo, ...others].map((c) => c.socket);
    const heard = nextEvent(bo.socket, 'chat:message', (m) => m.text === 'hello there');
    const ack = await request(h.socket, 'chat:send', { text: '  hello there ' });
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.message).toMatchObject({ participantId: host.participantId, name: 'Host', text: 'hello there' });
    expect(await heard).toEqual(ack.message);

    for (let i = 0; i < 54; i++) {
      // Six chatters in turn, one message every 60 ms: each stays under 5 a second.
      const r = await request(chatters[i % chatters.length], 'chat:send', { text: `msg ${i}` });
      expect(r).toMatchObject({ ok: true });
      await new Promise((r2) => setTimeout(r2, 60));
    }
    // A brand-new replica on the same Redis sees the acknowledged history.
    const c = await startApi({ REDIS_URL: redis.url });
    try {
      const late = await connect(c.url, guests[0].token);
      sockets.push(late.socket);
      expect(late.snapshot.chat).toHaveLength(50);
      expect(late.snapshot.chat[49].text).toBe('msg 53');
      expect(late.snapshot.chat[0].text).toBe('msg 4');
    } finally {
      await c.close();
    }
  });

  it('the host grants control, hands over host, and only the host may', async () => {
    const { host, guests } = await partyWith(a.url, ['Bo', 'Cy']);
    const h = await open(a.url, host.token);
    const bo = await open(b.url, guests[0].token);
    const cy = await open(b.url, guests[1].token);
    const boId = guests[0].participantId;

    expect(await request(bo.socket, 'role:set', { participantId: boId, role: 'controller' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const updated = nextEvent(cy.socket, 'participants:update', (l) => l.some((p) => p.id === boId && p.role === 'controller'));
    expect(await request(h.socket, 'role:set', { participantId: boId, role: 'controller' })).toEqual({ ok: true });
    await updated;
    expect(await request(bo.socket, 'playback:control', { action: 'play' })).toMatchObject({ ok: true });
    expect(await request(cy.socket, 'playback:control', { action: 'pause' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    expect(await request(h.socket, 'role:set', { participantId: guests[1].participantId, role: 'host' })).toEqual({ ok: true });
    const again = await open(a.url, host.token);
    const roles = Object.fromEntries(again.snapshot.participants.map((p) => [p.name, p.role]));
    expect(roles).toEqual({ Host: 'controller', Bo: 'controller', Cy: 'host' });
    expect(await request(h.socket, 'session:settings', { waitForBuffering: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(h.socket, 'role:set', { participantId: 'AAAAAAAAAAAAAAAA', role: 'viewer' })).toMatchObject({ ok: false });
  });

  it('a kicked participant is told, disconnected, and refused on every replica', async () => {
    const { host, guests } = await partyWith(a.url, ['Eve']);
    const h = await open(a.url, host.token);
    const eve = await open(b.url, guests[0].token);
    const told = nextEvent(eve.socket, 'session:kicked');
    const gone = new Promise<void>((r) => eve.socket.once('disconnect', () => r()));
    expect(await request(h.socket, 'participant:kick', { participantId: guests[0].participantId })).toEqual({ ok: true });
    expect((await told).reason).toMatch(/removed/);
    await gone;
    await expect(connect(a.url, guests[0].token)).rejects.toThrow(/not a participant/);
    await expect(connect(b.url, guests[0].token)).rejects.toThrow(/not a participant/);
    expect(await request(h.socket, 'participant:kick', { participantId: host.participantId })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('settings reach everyone as session:update', async () => {
    const { host, guests } = await partyWith(a.url, ['Bo']);
    const h = await open(a.url, host.token);
    const bo = await open(b.url, guests[0].token);
    const seen = nextEvent(bo.socket, 'session:update', (s) => s.waitForBuffering && s.controlPolicy === 'everyone');
    const ack = await request(h.socket, 'session:settings', { controlPolicy: 'everyone', waitForBuffering: true });
    expect(ack).toMatchObject({ ok: true, session: { controlPolicy: 'everyone', waitForBuffering: true } });
    await seen;
  });

  it('waitForBuffering pauses the group for a buffering viewer and resumes when all are ready', async () => {
    const { host, guests } = await partyWith(a.url, ['Bo']);
    const h = await open(a.url, host.token);
    const bo = await open(b.url, guests[0].token);
    await request(h.socket, 'session:settings', { waitForBuffering: true });
    await request(h.socket, 'playback:control', { action: 'play' });
    const paused = nextEvent(h.socket, 'playback:state', (s) => !s.playing);
    await request(bo.socket, 'participant:status', { status: 'buffering', position: 3 });
    expect(await paused).toMatchObject({ playing: false, action: 'pause', by: guests[0].participantId });

    await request(h.socket, 'participant:status', { status: 'ready', position: 3 });
    const resumed = nextEvent(h.socket, 'playback:state', (s) => s.playing);
    await request(bo.socket, 'participant:status', { status: 'ready', position: 3 });
    expect(await resumed).toMatchObject({ playing: true, action: 'play', by: null });
  });

  it('waitForBuffering gives up waiting after 10 s', async () => {
    const { host, guests } = await partyWith(a.url, ['Bo']);
    const h = await open(a.url, host.token);
    const bo = await open(b.url, guests[0].token);
    await request(h.socket, 'session:settings', { waitForBuffering: true });
    await request(h.socket, 'playback:control', { action: 'play' });
    const paused = nextEvent(h.socket, 'playback:state', (s) => !s.playing);
    await request(bo.socket, 'participant:status', { status: 'buffering', position: 3 });
    const pause = await paused;
    const resumed = await nextEvent(h.socket, 'playback:state', (s) => s.playing, 14_000);
    expect(resumed.at - pause.at).toBeGreaterThanOrEqual(10_000);
    expect(resumed.at - pause.at).toBeLessThan(13_000);
  }, 20_000);

  it('passes host to the longest-present connected participant 10 s after the host leaves, exactly once', async () => {
    const { host, guests } = await partyWith(a.url, ['Old', 'New']);
    const h = await open(a.url, host.token);
    const old = await open(b.url, guests[0].token); // joined first: longest present
    const young = await open(a.url, guests[1].token);
    const updates: string[] = [];
    young.socket.on('participants:update', (l) => {
      const hosts = l.filter((p) => p.role === 'host');
      expect(hosts).toHaveLength(1);
      updates.push(hosts[0].name);
    });
    const left = Date.now();
    h.socket.close();
    const promoted = await nextEvent(old.socket, 'participants:update', (l) => l.some((p) => p.name === 'Old' && p.role === 'host'), 16_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(9_500);
    expect(promoted.filter((p) => p.role === 'host').map((p) => p.name)).toEqual(['Old']);
    await new Promise((r) => setTimeout(r, 2500));
    const snap = await open(b.url, guests[1].token);
    expect(snap.snapshot.participants.filter((p) => p.role === 'host').map((p) => p.name)).toEqual(['Old']);
    // The old host comes back as a controller, not a second host.
    const back = await open(a.url, host.token);
    expect(back.snapshot.you.role).toBe('controller');
  }, 30_000);
});
