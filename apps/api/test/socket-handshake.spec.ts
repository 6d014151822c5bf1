import type { JoinedSession } from '@watch-party/contracts';
import { SignJWT } from 'jose';
import { api, type ApiInstance, type ClientSocket, connect, nextEvent, startApi } from './api-instance';
import { ShutdownService } from '../src/ops/shutdown.service';
import { useReplicaPair } from './two-replicas';

const SECRET = 'test-secret-that-is-long-enough';

async function party(base: string, hostName = 'Ann') {
  const res = await api<JoinedSession>(base, '/api/sessions', { body: { hostName } });
  expect(res.status).toBe(201);
  return res.body;
}
async function join(base: string, id: string, name: string) {
  const res = await api<JoinedSession>(base, `/api/sessions/${id}/participants`, { body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}
const sign = (claims: { sid: string; sub: string; name: string }, secret: string, exp: number | string = '1h') =>
  new SignJWT({ sid: claims.sid, name: claims.name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt(typeof exp === 'number' ? exp - 3600 : undefined)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

describe('Socket.IO handshake and presence (single process)', () => {
  let srv: ApiInstance;
  const sockets: ClientSocket[] = [];
  beforeAll(async () => {
    srv = await startApi({ APP_SECRET: SECRET });
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => srv.close());

  it('sends a snapshot on connect and participants:update on join and leave', async () => {
    const host = await party(srv.url);
    const a = await connect(srv.url, host.token);
    sockets.push(a.socket);
    expect(a.snapshot.you).toMatchObject({ id: host.participantId, name: 'Ann', role: 'host', connected: true });
    expect(a.snapshot.session.id).toBe(host.session.id);
    expect(a.snapshot.state).toMatchObject({ playing: false, position: 0, rate: 1, rev: 0, action: 'init' });
    expect(a.snapshot.chat).toEqual([]);
    expect(Math.abs(a.snapshot.serverTime - Date.now())).toBeLessThan(5000);

    const bo = await join(srv.url, host.session.id, 'Bo');
    const joined = nextEvent(a.socket, 'participants:update', (list) => list.some((p) => p.id === bo.participantId && p.connected));
    const b = await connect(srv.url, bo.token);
    sockets.push(b.socket);
    expect(b.snapshot.participants.map((p) => [p.name, p.role, p.connected])).toEqual([
      ['Ann', 'host', true],
      ['Bo', 'viewer', true],
    ]);
    await joined;

    const left = nextEvent(a.socket, 'participants:update', (list) => list.some((p) => p.id === bo.participantId && !p.connected));
    b.socket.close();
    const after = await left;
    expect(after.find((p) => p.id === bo.participantId)?.connected).toBe(false);
  });

  it('reconnecting with the same token is the same participant', async () => {
    const host = await party(srv.url);
    const first = await connect(srv.url, host.token);
    first.socket.close();
    const second = await connect(srv.url, host.token);
    sockets.push(second.socket);
    expect(second.snapshot.you.id).toBe(host.participantId);
    expect(second.snapshot.you.role).toBe('host');
    expect(second.snapshot.participants).toHaveLength(1);
  });

  it.each([
    ['no token', async () => undefined, 'missing token', 'TOKEN_INVALID'],
    ['garbage', async () => 'not-a-jwt', 'invalid token', 'TOKEN_INVALID'],
    ['forged (other secret)', async (h: JoinedSession) => sign({ sid: h.session.id, sub: h.participantId, name: 'Ann' }, 'another-secret-0123456789'), 'invalid token', 'TOKEN_INVALID'],
    ['expired', async (h: JoinedSession) => sign({ sid: h.session.id, sub: h.participantId, name: 'Ann' }, SECRET, Math.floor(Date.now() / 1000) - 60), 'token expired', 'TOKEN_EXPIRED'],
  ])('refuses a handshake with %s, the code in connect_error data', async (_label, token, message, code) => {
    const host = await party(srv.url);
    await expect(connect(srv.url, (await token(host)) as string)).rejects.toMatchObject({ message, data: { code } });
  });

  it("refuses a token naming another party's participant (NOT_A_PARTICIPANT)", async () => {
    const one = await party(srv.url, 'Ann');
    const two = await party(srv.url, 'Cy');
    const token = await sign({ sid: two.session.id, sub: one.participantId, name: 'Ann' }, SECRET);
    await expect(connect(srv.url, token)).rejects.toMatchObject({
      message: expect.stringMatching(/not a participant/),
      data: { code: 'NOT_A_PARTICIPANT' },
    });
  });
});

describe('Socket.IO handshake on a draining replica', () => {
  it('refuses new sockets with SERVER_RESTARTING (clients reconnect elsewhere)', async () => {
    const srv = await startApi({ APP_SECRET: SECRET });
    try {
      const host = await party(srv.url);
      await srv.app.get(ShutdownService).drain();
      await expect(connect(srv.url, host.token)).rejects.toMatchObject({
        message: 'server restarting; reconnect',
        data: { code: 'SERVER_RESTARTING' },
      });
    } finally {
      await srv.close();
    }
  });
});

describe('Socket.IO across two replicas sharing Redis', () => {
  // No APP_SECRET: the replicas must agree on one generated through Redis.
  const pair = useReplicaPair();
  const { sockets } = pair;

  it('accepts a token from one replica on the other and merges presence', async () => {
    const host = await party(pair.a.url);
    const info = await api(pair.b.url, `/api/sessions/${host.session.id}`);
    expect(info.status).toBe(200);
    const bo = await join(pair.b.url, host.session.id, 'Bo');

    const ann = await connect(pair.a.url, host.token);
    sockets.push(ann.socket);
    const seen = nextEvent(ann.socket, 'participants:update', (l) => l.filter((p) => p.connected).length === 2);
    const boOnB = await connect(pair.b.url, bo.token);
    sockets.push(boOnB.socket);
    expect(boOnB.snapshot.participants.filter((p) => p.connected).map((p) => p.name)).toEqual(['Ann', 'Bo']);
    await seen; // the update crossed from replica B to a client on replica A

    // Host reconnects to the other replica: same participant, same role, same snapshot.
    ann.socket.close();
    const again = await connect(pair.b.url, host.token);
    sockets.push(again.socket);
    expect(again.snapshot.you).toMatchObject({ id: host.participantId, role: 'host' });
    expect(again.snapshot.session).toEqual(boOnB.snapshot.session);
  });

  it('reports readiness with Redis', async () => {
    const ready = await api(pair.a.url, '/api/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', redis: 'ok' });
  });
});
