// Parent side of bench/clients.mjs: forks the load-generator processes and drives them.
import { join } from 'node:path';
import { BENCH_DIR, ROOT, mapLimit, postJson, spawnWithUlimit, stopChild } from './util.mjs';

export const PARTY_MAX = 200; // the protocol's limit: participants per session, host included

class Worker {
  constructor(index) {
    this.index = index;
    this.child = spawnWithUlimit(process.execPath, ['--max-old-space-size=4096', join(BENCH_DIR, 'clients.mjs')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.waiters = [];
    this.child.on('message', (msg) => {
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
    });
    this.child.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`load generator exited (${code ?? signal}): ${this.child.output.slice(-800)}`));
    });
  }

  wait(match, timeoutMs) {
    return new Promise((resolve, reject) => {
      const w = { match, resolve, reject };
      this.waiters.push(w);
      if (timeoutMs) {
        setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            resolve(null);
          }
        }, timeoutMs).unref();
      }
    });
  }

  send(msg) {
    this.child.send(msg);
  }
}

export class LoadGen {
  constructor(n = 2) {
    this.workers = Array.from({ length: n }, (_, i) => new Worker(i));
  }

  /** specsPerWorker[i] = client specs for worker i. Resolves with merged results. */
  async connect(specsPerWorker, concurrency = 50) {
    const results = await Promise.all(
      this.workers.map((w, i) => {
        const p = w.wait((m) => m.type === 'connected');
        w.send({ type: 'connect', clients: specsPerWorker[i] ?? [], concurrency });
        return p;
      }),
    );
    const perUrl = {};
    for (const r of results) for (const [u, n] of Object.entries(r.perUrl)) perUrl[u] = (perUrl[u] ?? 0) + n;
    return {
      ok: results.reduce((a, r) => a + r.ok, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      hostsFailed: results.reduce((a, r) => a + r.hostsFailed, 0),
      errors: results.flatMap((r) => r.errors),
      perUrl,
      ms: Math.max(...results.map((r) => r.ms)),
    };
  }

  /** One fan-out round; resolves with { emits: Map(s -> t), recvs: [s, t, ...], ackErrors }. */
  async round(r, timeoutMs = 5000) {
    const reports = await Promise.all(
      this.workers.map(async (w) => {
        const p = w.wait((m) => m.type === 'report' && m.round === r, timeoutMs);
        w.send({ type: 'round', round: r });
        let rep = await p;
        if (!rep) {
          const q = w.wait((m) => m.type === 'report' && m.round === r, 5000);
          w.send({ type: 'flush', round: r });
          rep = await q;
        }
        return rep ?? { emits: [], recvs: [], ackErrors: ['no report'] };
      }),
    );
    const emits = new Map();
    const recvs = [];
    const ackErrors = [];
    for (const rep of reports) {
      for (const [s, t] of rep.emits) emits.set(s, t);
      for (const x of rep.recvs) recvs.push(x);
      ackErrors.push(...rep.ackErrors);
    }
    return { emits, recvs, ackErrors };
  }

  async count() {
    const counts = await Promise.all(
      this.workers.map((w) => {
        const p = w.wait((m) => m.type === 'count', 10000);
        w.send({ type: 'count' });
        return p;
      }),
    );
    return counts.reduce((a, c) => a + (c?.connected ?? 0), 0);
  }

  async close() {
    await Promise.all(
      this.workers.map(async (w) => {
        try {
          if (w.child.connected) w.send({ type: 'close' });
        } catch {
          /* gone */
        }
        await Promise.race([new Promise((r) => w.child.once('exit', r)), new Promise((r) => setTimeout(r, 2000))]);
        await stopChild(w.child, 1000);
      }),
    );
  }
}

/**
 * Makes `total` participants in parties of at most `partySize` (<= PARTY_MAX) through the real API (session
 * creations go to urls[0], joins alternate across urls). Returns [{ s, token, host, url }],
 * where url is the replica the client will connect to (clients alternate across replicas).
 */
export async function makeAppParticipants(urls, total, { concurrency = 32, partySize = PARTY_MAX } = {}) {
  const parties = Math.ceil(total / partySize);
  const sizes = Array.from({ length: parties }, (_, p) => Math.floor(total / parties) + (p < total % parties ? 1 : 0));
  const hosts = await mapLimit(sizes, concurrency, (_, p) =>
    postJson(`${urls[p % urls.length]}/api/sessions`, { hostName: `host${p}`, name: `bench ${p}`, controlPolicy: 'host' }),
  );
  const jobs = [];
  sizes.forEach((n, p) => {
    for (let i = 1; i < n; i++) jobs.push({ p, i });
  });
  const joined = await mapLimit(jobs, concurrency, ({ p, i }) =>
    postJson(`${urls[(p + i) % urls.length]}/api/sessions/${hosts[p].session.id}/participants`, { name: `c${p}-${i}` }),
  );
  const out = [];
  sizes.forEach((_, p) => out.push({ s: p, token: hosts[p].token, host: true, url: urls[p % urls.length] }));
  jobs.forEach(({ p, i }, k) => out.push({ s: p, token: joined[k].token, host: false, url: urls[(p + i) % urls.length] }));
  return { parties, sizes, clients: out };
}

/** The same layout for the bare reference server (tokens are just room names). */
export function makeBareParticipants(urls, total, { partySize = PARTY_MAX } = {}) {
  const parties = Math.ceil(total / partySize);
  const sizes = Array.from({ length: parties }, (_, p) => Math.floor(total / parties) + (p < total % parties ? 1 : 0));
  const out = [];
  sizes.forEach((n, p) => {
    out.push({ s: p, token: `bare:${p}:0`, host: true, url: urls[p % urls.length] });
    for (let i = 1; i < n; i++) out.push({ s: p, token: `bare:${p}:${i}`, host: false, url: urls[(p + i) % urls.length] });
  });
  return { parties, sizes, clients: out };
}

/** Hosts go to worker 0 (they all command at once); everyone else alternates across workers. */
export function splitAcrossWorkers(clients, n) {
  const per = Array.from({ length: n }, () => []);
  let k = 0;
  for (const c of clients) {
    if (c.host) per[0].push(c);
    else per[k++ % n].push(c);
  }
  return per;
}
