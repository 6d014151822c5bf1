// Figure: party_join_p99_ms.
// What durability costs a join in the single-process default: POST /api/sessions/:id/participants
// against a built server whose SQLite store (DATA_DIR) is on the disk, as `npm start` runs it
// (WAL, synchronous=FULL: every join is fsynced before it is answered), beside the same build with
// STORE=memory (the in-memory repositories: nothing written anywhere). Also measured: the SQLite
// store with DATA_DIR on /dev/shm (tmpfs), which separates the cost of the disk flush from the
// cost of SQLite itself. Rounds rotate between the three so that machine load hits all alike;
// each round is one party filled to the participant limit by JOIN_CONCURRENCY joiners at a time.
// value = p99 SQLite on disk, reference = p99 in memory.
import { existsSync, mkdtempSync } from 'node:fs';
import { log, mapLimit, percentile, removeTempDir, round, startApi } from './lib/util.mjs';

const PARTY_JOINS = 199; // 200 participants per party, the host included
const JOIN_CONCURRENCY = 4;

async function timedJoins(url, joins) {
  const created = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hostName: 'Host' }),
  }).then((r) => r.json());
  const id = created.session.id;
  return mapLimit(Array.from({ length: joins }, (_, i) => i), JOIN_CONCURRENCY, async (i) => {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/sessions/${id}/participants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Guest ${i}` }),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`join answered ${res.status}`);
    return performance.now() - t0;
  });
}

export async function partyJoinBench({ emit, quick }) {
  if (!existsSync('/dev/shm')) {
    emit({ name: 'party_join_p99_ms', value: null, note: 'no /dev/shm (tmpfs) for the flush-free figure' });
    return;
  }
  const rounds = quick ? 2 : 6;
  const shmDir = mkdtempSync('/dev/shm/wp-bench-data-');
  const servers = {
    disk: await startApi(),
    memory: await startApi({ STORE: 'memory' }),
    tmpfs: await startApi({ DATA_DIR: shmDir }),
  };
  const names = Object.keys(servers);
  const samples = { disk: [], memory: [], tmpfs: [] };
  try {
    for (const name of names) await timedJoins(servers[name].url, 50); // warm-up: JIT, connections, first pages
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(r + i) % names.length];
        samples[name].push(...(await timedJoins(servers[name].url, PARTY_JOINS)));
      }
    }
  } finally {
    for (const name of names) await servers[name].stop();
    removeTempDir(shmDir);
  }
  const stats = (xs) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), joins: xs.length });
  const d = stats(samples.disk);
  const m = stats(samples.memory);
  const t = stats(samples.tmpfs);
  log(`party-join: SQLite on disk p50 ${d.p50} / p99 ${d.p99} ms; STORE=memory p50 ${m.p50} / p99 ${m.p99} ms; SQLite on tmpfs p50 ${t.p50} / p99 ${t.p99} ms`);
  emit({
    name: 'party_join_p99_ms',
    value: percentile(samples.disk, 99),
    unit: 'ms',
    reference: percentile(samples.memory, 99),
    params: {
      target: 'ratio <= 1.5',
      store: 'SQLite in DATA_DIR on disk (synchronous=FULL), as npm start runs it',
      referenceStore: 'the same build with STORE=memory (in-memory repositories)',
      joins: d.joins,
      concurrency: JOIN_CONCURRENCY,
      p50: d.p50,
      referenceP50: m.p50,
      sqliteOnTmpfsP50: t.p50,
      sqliteOnTmpfsP99: t.p99,
    },
  });
}
