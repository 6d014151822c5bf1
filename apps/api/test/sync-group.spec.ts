import { connect, nextEvent, partyWith, request, startApi } from './api-instance';
import { useReplicaPair } from './two-replicas';

/**
 * The group rules (roles, kicks, settings, buffering holds, host migration, presence) are unit
 * tested with a fake clock next to their services (src/sync/*.spec.ts). These cases prove the
 * wiring only: real sockets on two replicas sharing Redis, real timers.
 */
describe('group rules across two replicas (wiring)', () => {
  const pair = useReplicaPair();
  const { sockets } = pair;
  const open = async (url: string, token: string) => {
    const c = await connect(url, token);
    sockets.push(c.socket);
    return c;
  };

  it('chat crosses replicas, and a replica started later sees the acknowledged history', async () => {
    const { host, guests } = await partyWith(pair.a.url, ['Bo']);
    const h = await open(pair.a.url, host.token);
    const bo = await open(pair.b.url, guests[0].token);
    const heard = nextEvent(bo.socket, 'chat:message', (m) => m.text === 'hello there');
    const ack = await request(h.socket, 'chat:send', { text: '  hello there ' });
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.message).toMatchObject({ participantId: host.participantId, name: 'Host', text: 'hello there' });
    expect(await heard).toEqual(ack.message);
    expect(await request(bo.socket, 'chat:send', { text: 'hi back' })).toMatchObject({ ok: true });

    const c = await startApi({ REDIS_URL: pair.redis.url });
    try {
      const late = await connect(c.url, guests[0].token);
      sockets.push(late.socket);
      // Activity lines (joins) are in the history too; the users' messages are in order.
      expect(late.snapshot.chat.filter((m) => m.kind === 'user').map((m) => m.text)).toEqual(['hello there', 'hi back']);
    } finally {
      await c.close();
    }
  });

  it("a kick reaches the participant's socket on the other replica, and every replica refuses their token", async () => {
    const { host, guests } = await partyWith(pair.a.url, ['Eve']);
    const h = await open(pair.a.url, host.token);
    const eve = await open(pair.b.url, guests[0].token);
    const told = nextEvent(eve.socket, 'session:kicked');
    const gone = new Promise<void>((r) => eve.socket.once('disconnect', () => r()));
    expect(await request(h.socket, 'participant:kick', { participantId: guests[0].participantId })).toEqual({ ok: true });
    expect((await told).reason).toMatch(/removed/);
    await gone;
    for (const url of [pair.a.url, pair.b.url]) {
      await expect(connect(url, guests[0].token)).rejects.toMatchObject({
        message: expect.stringMatching(/not a participant/),
        data: { code: 'NOT_A_PARTICIPANT' },
      });
    }
  });

  it('waitForBuffering: a buffering report on one replica pauses sockets on the other; all ready resumes', async () => {
    const { host, guests } = await partyWith(pair.a.url, ['Bo']);
    const h = await open(pair.a.url, host.token);
    const bo = await open(pair.b.url, guests[0].token);
    const settings = nextEvent(bo.socket, 'session:update', (s) => s.waitForBuffering);
    await request(h.socket, 'session:settings', { waitForBuffering: true });
    await settings;
    await request(h.socket, 'playback:control', { action: 'play' });
    const paused = nextEvent(h.socket, 'playback:state', (s) => !s.playing);
    await request(bo.socket, 'participant:status', { status: 'buffering', position: 3 });
    expect(await paused).toMatchObject({ playing: false, action: 'pause', by: guests[0].participantId });

    await request(h.socket, 'participant:status', { status: 'ready', position: 3 });
    const resumed = nextEvent(h.socket, 'playback:state', (s) => s.playing);
    await request(bo.socket, 'participant:status', { status: 'ready', position: 3 });
    expect(await resumed).toMatchObject({ playing: true, action: 'play', by: null });
  });

  it('passes host to the longest-present connected participant, on the other replica, 10 s after the host left', async () => {
    const { host, guests } = await partyWith(pair.a.url, ['Old', 'New']);
    const h = await open(pair.a.url, host.token);
    const old = await open(pair.b.url, guests[0].token); // joined first: longest present
    const young = await open(pair.a.url, guests[1].token);
    const hostsSeen: string[][] = [];
    young.socket.on('participants:update', (l) => hostsSeen.push(l.filter((p) => p.role === 'host').map((p) => p.name)));
    const left = Date.now();
    h.socket.close();
    const promoted = await nextEvent(old.socket, 'participants:update', (l) => l.some((p) => p.name === 'Old' && p.role === 'host'), 16_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(9_500);
    expect(promoted.filter((p) => p.role === 'host').map((p) => p.name)).toEqual(['Old']);
    // Every list anyone saw named exactly one host.
    expect(hostsSeen.every((names) => names.length === 1)).toBe(true);
    // The old host comes back as a controller, not a second host.
    const back = await open(pair.a.url, host.token);
    expect(back.snapshot.you.role).toBe('controller');
  }, 30_000);
});
