import type { ApiError, JoinedSession } from '@watch-party/contracts';
import { api, connect, nextEvent, partyWith, request } from './api-instance';
import { useReplicaPair } from './two-replicas';

/**
 * The moderation rules are unit tested next to their services (src/sync/moderation.spec.ts).
 * These cases prove them through the real REST routes and sockets, on two replicas sharing Redis.
 */
describe('party moderation over REST and Socket.IO (two replicas)', () => {
  const pair = useReplicaPair();
  const { sockets } = pair;
  const open = async (url: string, token: string) => {
    const c = await connect(url, token);
    sockets.push(c.socket);
    return c;
  };
  const join = (base: string, sessionId: string, body: Record<string, unknown>) =>
    api<JoinedSession & ApiError>(base, `/api/sessions/${sessionId}/participants`, { body });


  it('a kick with ban refuses that device on every replica (403 JSON); other devices still join', async () => {
    const { host, sessionId } = await partyWith(pair.a.url, []);
    const eve = await join(pair.b.url, sessionId, { name: 'Eve', deviceId: 'eve-laptop' });
    expect(eve.status).toBe(201);
    const h = await open(pair.a.url, host.token);
    const e = await open(pair.b.url, eve.body.token);
    const kicked = nextEvent(e.socket, 'session:kicked');
    expect(await request(h.socket, 'participant:kick', { participantId: eve.body.participantId, ban: true })).toEqual({ ok: true });
    await kicked;
    for (const base of [pair.a.url, pair.b.url]) {
      const again = await join(base, sessionId, { name: 'Eve', deviceId: 'eve-laptop' });
      expect(again.status).toBe(403);
      expect(again.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'the host removed you from this party' });
    }
    expect((await join(pair.b.url, sessionId, { name: 'Bo', deviceId: 'bo-phone' })).status).toBe(201);
    expect((await join(pair.a.url, sessionId, { name: 'Eve', deviceId: 'x'.repeat(65) })).status).toBe(400);
  });

  it('a locked party refuses new joins with 403 "party is locked"; a participant reconnects with their token', async () => {
    const { host, guests, sessionId } = await partyWith(pair.a.url, ['Bo']);
    const h = await open(pair.a.url, host.token);
    const bo = await open(pair.b.url, guests[0].token);
    const heard = nextEvent(bo.socket, 'session:update', (s) => s.locked);
    expect(await request(h.socket, 'session:settings', { locked: true })).toMatchObject({ ok: true, session: { locked: true } });
    await heard;
    const refused = await join(pair.b.url, sessionId, { name: 'Cy' });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'party is locked' });
    expect((await api(pair.a.url, `/api/sessions/${sessionId}`)).body).toMatchObject({ locked: true });

    bo.socket.close();
    const back = await open(pair.a.url, guests[0].token);
    expect(back.snapshot.you).toMatchObject({ id: guests[0].participantId, name: 'Bo' });
    expect(back.snapshot.session.locked).toBe(true);

    expect(await request(h.socket, 'session:settings', { locked: false })).toMatchObject({ ok: true });
    expect((await join(pair.b.url, sessionId, { name: 'Cy' })).status).toBe(201);
  });
});
