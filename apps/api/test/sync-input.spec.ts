import { clientEventSchemas } from '@watch-party/contracts';
import fc from 'fast-check';
import { type ApiInstance, type ClientSocket, connect, nextEvent, partyWith, rawRequest, request, startApi } from './api-instance';

type RawEmit = (event: string, ...args: unknown[]) => void;

describe('bad input, limits and fuzzing on a live server', () => {
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

  it.each([
    ['playback:control', { action: 'jump' }],
    ['playback:control', { action: 'seek' }],
    ['playback:control', { action: 'seek', position: -1 }],
    ['playback:control', { action: 'seek', position: '10' }],
    ['playback:control', { action: 'rate', rate: 10 }],
    ['playback:control', { action: 'rate' }],
    ['playback:control', { action: 'play', extra: true }],
    ['playback:control', null],
    ['playback:control', 'play'],
    ['playback:control', [1, 2]],
    ['source:set', { source: { kind: 'url', url: 'javascript:alert(1)' } }],
    ['source:set', { source: { kind: 'file', path: '/etc/passwd' } }],
    ['chat:send', { text: '' }],
    ['chat:send', { text: '   ' }],
    ['chat:send', { text: 'x'.repeat(501) }],
    ['role:set', { participantId: 1, role: 'host' }],
    ['role:set', { participantId: 'AAAAAAAAAAAAAAAA', role: 'king' }],
    ['participant:status', { status: 'dancing', position: 1 }],
    ['participant:status', { status: 'ready', position: null }],
    ['time:ping', {}],
    ['session:settings', { controlPolicy: 'anyone' }],
    ['participant:kick', {}],
  ])('answers %s %j with BAD_REQUEST and changes nothing', async (event, payload) => {
    const { host } = await partyWith(srv.url, []);
    const h = await open(host.token);
    const ack = await rawRequest(h.socket, event, payload);
    expect(ack).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } });
    const after = await open(host.token);
    expect(after.snapshot.state.rev).toBe(0);
    expect(after.snapshot.chat.filter((m) => m.kind === 'user')).toEqual([]);
    expect(h.socket.connected).toBe(true);
  });

  it('answers a missing payload, an unknown event and a missing ack without dropping the socket', async () => {
    const { host } = await partyWith(srv.url, []);
    const h = await open(host.token);
    const emit: RawEmit = (event, ...args) => (h.socket.emit as unknown as RawEmit).call(h.socket, event, ...args);
    const missing = await new Promise((r) => emit('chat:send', r));
    expect(missing).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await rawRequest(h.socket, 'no:such:event', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    emit('playback:control', { action: 'play' }); // no ack: still applied, nothing crashes
    const state = await nextEvent(h.socket, 'playback:state');
    expect(state.rev).toBe(1);
    expect(await request(h.socket, 'time:ping', { t0: 1 })).toMatchObject({ ok: true });
  });

  it('cuts a socket that sends a frame over 64 KiB; everyone else carries on', async () => {
    const { host, guests } = await partyWith(srv.url, ['Bo']);
    const h = await open(host.token);
    const bo = await open(guests[0].token);
    const cut = new Promise<string>((r) => bo.socket.once('disconnect', (reason) => r(reason)));
    (bo.socket.emit as unknown as RawEmit).call(bo.socket, 'chat:send', { text: 'x'.repeat(70 * 1024) }, () => undefined);
    expect(await cut).toMatch(/transport/);
    expect(await request(h.socket, 'chat:send', { text: 'still here' })).toMatchObject({ ok: true });
  });

  it('limits control events to 20/s and chat to 5/s per participant with RATE_LIMITED', async () => {
    const { host } = await partyWith(srv.url, []);
    const h = await open(host.token);
    const controls = await Promise.all(
      Array.from({ length: 25 }, (_, i) => request(h.socket, 'playback:control', { action: 'seek', position: i })),
    );
    const codes = controls.map((a) => (a.ok ? 'ok' : a.error.code));
    expect(codes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(20);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(5);
    const chats = await Promise.all(Array.from({ length: 7 }, (_, i) => request(h.socket, 'chat:send', { text: `m${i}` })));
    expect(chats.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(2);
  });

  it('survives thousands of random payloads on every event: process up, others served, state unchanged', async () => {
    const { host, guests } = await partyWith(srv.url, ['Fuzzer', 'Watcher']);
    const h = await open(host.token);
    const fuzzer = await open(guests[0].token);
    const watcher = await open(guests[1].token);
    const before = (await open(guests[1].token)).snapshot.state;

    const events = [...Object.keys(clientEventSchemas), 'unknown:event', '__proto__', 'constructor'];
    const shaped = fc.record(
      {
        action: fc.oneof(fc.constantFrom('play', 'pause', 'seek', 'rate', 'x'), fc.anything()),
        position: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)),
        rate: fc.oneof(fc.double(), fc.constant(4.0001), fc.constant(0.2499)),
        text: fc.oneof(fc.string({ maxLength: 600 }), fc.anything()),
        source: fc.anything(),
        participantId: fc.oneof(fc.string(), fc.constant(host.participantId)),
        role: fc.constantFrom('host', 'controller', 'viewer', 'god'),
        status: fc.constantFrom('ready', 'buffering', 'x'),
        t0: fc.oneof(fc.double(), fc.string()),
      },
      { requiredKeys: [] },
    );
    const payloads = fc.sample(fc.oneof(fc.anything(), shaped), { numRuns: 4000, seed: 42 });
    let tried = 0;
    const answers = new Map<string, number>();
    for (let i = 0; i < payloads.length; i += 100) {
      const batch = payloads.slice(i, i + 100).map((p, j) => {
        tried++;
        return rawRequest(fuzzer.socket, events[(i + j) % events.length], p).then((a) => {
          const key = a.ok ? 'ok' : (a.error?.code ?? 'none');
          answers.set(key, (answers.get(key) ?? 0) + 1);
        });
      });
      await Promise.all(batch);
    }
    console.log(`fuzz: ${tried} payloads over ${events.length} events, answers ${JSON.stringify(Object.fromEntries(answers))}`);
    expect(tried).toBe(4000);
    expect(answers.get('INTERNAL') ?? 0).toBe(0);
    expect(fuzzer.socket.connected).toBe(true);

    const heard = nextEvent(watcher.socket, 'chat:message', (m) => m.text === 'after the storm');
    expect(await request(h.socket, 'chat:send', { text: 'after the storm' })).toMatchObject({ ok: true });
    await heard;
    const after = (await open(guests[1].token)).snapshot;
    expect(after.state).toEqual(before);
    expect(after.participants.map((p) => [p.name, p.role])).toEqual([
      ['Host', 'host'],
      ['Fuzzer', 'viewer'],
      ['Watcher', 'viewer'],
    ]);
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
  }, 60_000);
});
