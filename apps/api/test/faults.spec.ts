import type { JoinedSession, Participant, SessionSnapshot } from '@watch-party/contracts';
import { io } from 'socket.io-client';
import { api, type ClientSocket, request } from './api-instance';
import { type Cluster, type Replica, startCluster } from './cluster';

/** Reconnection as the web client does it: first retry after 250-750 ms. */
const RECONNECT = { reconnectionDelay: 500, reconnectionDelayMax: 5000, randomizationFactor: 0.5 };
const PARTIES = 10;
const PER_PARTY = 30;
/** How long the replicas' socket counts may take to come back to exactly the test's clients. */
const SETTLE_MS = 5000;

interface Client {
  socket: ClientSocket;
  party: number;
  participantId: string;
  snapshot: SessionSnapshot | null;
  disconnectedAt: number | null;
  reconnectMs: number[];
  connectErrors: string[];
}

const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const hostsIn = (list: Participant[]) => list.filter((p) => p.role === 'host').length;
/** A replica's `wp_connected_sockets`, read straight from it (nginx never serves /metrics). */
const socketsOn = async (r: Replica) => Number(/^wp_connected_sockets (\d+)/m.exec(await (await fetch(`${r.url}/metrics`)).text())?.[1]);
const alive = (r: Replica) => r.process.exitCode === null && r.process.signalCode === null;

describe('faults: 3 replicas behind nginx, 300 clients in 10 parties', () => {
  let cluster: Cluster;
  const clients: Client[] = [];
  const hosts: Client[] = [];
  const sessionIds: string[] = [];
  let twoHosts = 0;

  const everyoneConnected = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (clients.some((c) => !c.socket.connected || c.disconnectedAt !== null)) {
      if (Date.now() > deadline) throw new Error(`${clients.filter((c) => !c.socket.connected).length} clients never came back`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /**
   * The socket count of each replica still running, once together they hold exactly the test's
   * clients, every one connected. A probe socket (`freshSnapshot`) is still counted after the
   * test has closed it, until its close, which goes through nginx, reaches the replica; a
   * /metrics request sent straight to the replica can get there first (on a loaded machine
   * nginx may not run for a while). Counted then, it is a socket no test client will move.
   */
  const settledSocketCounts = async (): Promise<Map<Replica, number>> => {
    const deadline = Date.now() + SETTLE_MS;
    const allConnected = () => clients.every((c) => c.socket.connected && c.disconnectedAt === null);
    for (;;) {
      const before = allConnected();
      const live = cluster.replicas.filter(alive);
      const counts = await Promise.all(live.map(socketsOn));
      const sum = counts.reduce((a, b) => a + b, 0);
      if (before && allConnected() && sum === clients.length) return new Map(live.map((r, i) => [r, counts[i]]));
      if (Date.now() > deadline) {
        throw new Error(`the replicas hold ${counts.join(' + ')} = ${sum} sockets, not the ${clients.length} test clients (all connected: ${allConnected()})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** The authoritative view, read through the load balancer by a fresh socket. */
  const freshSnapshot = async (party: number): Promise<SessionSnapshot> => {
    const host = hosts[party];
    const token = (host.socket.auth as { token: string }).token;
    const s: ClientSocket = io(cluster.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      return await new Promise((resolve, reject) => {
        s.once('session:snapshot', resolve);
        s.once('connect_error', reject);
      });
    } finally {
      s.close();
    }
  };

  beforeAll(async () => {
    cluster = await startCluster(3);
    let n = 0;
    for (let p = 0; p < PARTIES; p++) {
      const created = await api<JoinedSession>(cluster.url, '/api/sessions', { body: { hostName: `Host${p}` } });
      sessionIds.push(created.body.session.id);
      const members = [created.body];
      for (let i = 1; i < PER_PARTY; i++) {
        const joined = await api<JoinedSession>(cluster.url, `/api/sessions/${created.body.session.id}/participants`, { body: { name: `P${p}-${i}` } });
        members.push(joined.body);
      }
      for (const [i, m] of members.entries()) {
        // Distinct loopback source addresses, so nginx's per-address hash spreads clients.
        const socket: ClientSocket = io(cluster.url, {
          auth: { token: m.token },
          transports: ['websocket'],
          forceNew: true,
          localAddress: `127.0.${1 + (n % 250)}.${1 + Math.floor(n / 250)}`,
          ...RECONNECT,
        } as Parameters<typeof io>[1]);
        n++;
        const c: Client = { socket, party: p, participantId: m.participantId, snapshot: null, disconnectedAt: null, reconnectMs: [], connectErrors: [] };
        socket.on('session:snapshot', (snap) => {
          c.snapshot = snap;
          if (c.disconnectedAt !== null) {
            c.reconnectMs.push(Date.now() - c.disconnectedAt);
            c.disconnectedAt = null;
          }
          if (hostsIn(snap.participants) > 1) twoHosts++;
        });
        socket.on('participants:update', (list) => {
          if (hostsIn(list) > 1) twoHosts++;
        });
        socket.on('disconnect', () => {
          c.disconnectedAt ??= Date.now();
        });
        socket.on('connect_error', (err) => c.connectErrors.push(err.message));
        clients.push(c);
        if (i === 0) hosts.push(c);
      }
    }
    await everyoneConnected(20_000);
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.socket.close();
    await cluster?.close();
  });

  it('spreads the clients over all three replicas', async () => {
    const counts = await Promise.all(cluster.replicas.map(socketsOn));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(PARTIES * PER_PARTY);
    for (const c of counts) expect(c).toBeGreaterThan(30);
  });

  it('the load balancer never exposes /metrics (each replica serves it on the internal network)', async () => {
    for (const path of ['/metrics', '/metrics/', '/metrics?x=1']) {
      const res = await fetch(cluster.url + path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.text()).not.toMatch(/wp_connected_sockets/);
    }
    expect((await fetch(`${cluster.url}/api/health`)).status).toBe(200);
  });

  it('Redis restarts: replicas stay up, readiness goes 503 then 200, nothing acknowledged is lost, commands get INTERNAL', async () => {
    for (const h of hosts) {
      expect(await request(h.socket, 'playback:control', { action: 'seek', position: 42 })).toMatchObject({ ok: true });
      expect(await request(h.socket, 'chat:send', { text: `before the outage ${h.party}` })).toMatchObject({ ok: true });
    }
    const before = await Promise.all(hosts.map((_, p) => freshSnapshot(p)));

    await cluster.redis.stop();
    for (const r of cluster.replicas) expect((await fetch(`${r.url}/api/health/ready`)).status).toBe(503);
    const started = Date.now();
    const during = await request(hosts[0].socket, 'chat:send', { text: 'during the outage' });
    expect(during).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(Date.now() - started).toBeLessThan(5000);

    await cluster.redis.restart();
    for (const r of cluster.replicas) {
      const deadline = Date.now() + 15_000;
      while ((await fetch(`${r.url}/api/health/ready`)).status !== 200) {
        if (Date.now() > deadline) throw new Error('replica never became ready again');
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(r.process.exitCode).toBeNull();
    }
    for (const [p, snap] of before.entries()) {
      const after = await freshSnapshot(p);
      expect(after.state).toEqual(snap.state);
      expect(after.session).toEqual(snap.session);
      expect(after.chat.map((m) => m.text)).toEqual(snap.chat.map((m) => m.text));
    }
    // The adapter resubscribed: a change made now reaches every client of the party.
    const seen = clients.filter((c) => c.party === 1).map((c) => new Promise((r) => c.socket.once('playback:state', r)));
    expect(await request(hosts[1].socket, 'playback:control', { action: 'play' })).toMatchObject({ ok: true });
    await Promise.all(seen);
  }, 60_000);

  it('SIGTERM on a replica during playback: no client sees an error, all resume within 2 s', async () => {
    for (const h of hosts) await request(h.socket, 'playback:control', { action: 'play', position: 10 });
    for (const c of clients) c.connectErrors.length = 0;
    const victim = cluster.replicas[2];
    const t0 = Date.now();
    victim.process.kill('SIGTERM');
    expect(await victim.exited).toBe(0);
    const exitMs = Date.now() - t0;
    await everyoneConnected(10_000);
    const moved = clients.filter((c) => c.reconnectMs.length > 0);
    const times = moved.map((c) => c.reconnectMs[c.reconnectMs.length - 1]);
    console.log(`SIGTERM: replica exited after ${exitMs} ms; ${moved.length} clients moved; resume p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${Math.max(...times)} ms`);
    expect(exitMs).toBeLessThan(10_000);
    expect(moved.length).toBeGreaterThan(30);
    expect(Math.max(...times)).toBeLessThan(2000);
    expect(clients.flatMap((c) => c.connectErrors)).toEqual([]);
    for (const c of moved) expect(c.snapshot?.state.playing).toBe(true);
    for (const c of clients.filter((x) => x.party === 0)) c.reconnectMs.length = 0;
  }, 60_000);

  it('kill -9 on a replica: its clients reconnect to the survivor with state, roles and chat intact, never two hosts', async () => {
    const acked: string[][] = [];
    for (const h of hosts) {
      const a = await request(h.socket, 'chat:send', { text: `right before the crash ${h.party}` });
      expect(a.ok).toBe(true);
      acked.push([`right before the crash ${h.party}`]);
    }
    const stateBefore = await Promise.all(hosts.map((_, p) => freshSnapshot(p)));
    for (const c of clients) c.reconnectMs.length = 0;

    const victim = cluster.replicas[1];
    // Not until the probe sockets above are gone from their replica, which may be the victim.
    const onVictim = (await settledSocketCounts()).get(victim) ?? NaN;
    victim.process.kill('SIGKILL');
    await victim.exited;
    // Wait until every client of the dead replica has noticed, then until all are back.
    const deadline = Date.now() + 10_000;
    while (clients.filter((c) => c.disconnectedAt !== null || c.reconnectMs.length > 0).length < onVictim && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await everyoneConnected(15_000);
    const moved = clients.filter((c) => c.reconnectMs.length > 0);
    const times = moved.map((c) => c.reconnectMs[0]);
    console.log(`kill -9: ${moved.length} clients reconnected; p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${Math.max(...times)} ms`);
    expect(moved.length).toBe(onVictim);
    expect(percentile(times, 99)).toBeLessThan(5000);

    for (const [p, before] of stateBefore.entries()) {
      const after = await freshSnapshot(p);
      expect(after.state).toEqual(before.state);
      expect(after.participants.map((x) => [x.id, x.role])).toEqual(before.participants.map((x) => [x.id, x.role]));
      expect(hostsIn(after.participants)).toBe(1);
      for (const text of acked[p]) expect(after.chat.map((m) => m.text)).toContain(text);
    }
    // Still one party: a command from a moved host reaches everyone.
    const party = moved[0].party;
    const seen = clients.filter((c) => c.party === party).map((c) => new Promise((r) => c.socket.once('playback:state', r)));
    expect(await request(hosts[party].socket, 'playback:control', { action: 'pause' })).toMatchObject({ ok: true });
    await Promise.all(seen);
    expect(twoHosts).toBe(0);
  }, 60_000);
});
