// Figure: party_join_p99_ms.
// What durability costs a join in the single-process default: POST /api/sessions/:id/participants
// against a built server whose SQLite store (DATA_DIR) is on the disk, as `npm start` runs it
// (WAL, synchronous=FULL: every join is fsynced before it is answered), beside the same build with
// its DATA_DIR on /dev/shm (tmpfs: the same code and queries, the flush costs nothing, i.e. an
// in-memory store). Rounds alternate between the two so that machine load hits both alike; each
// round is one party filled to the participant limit by JOIN_CONCURRENCY joiners at a time.
// value = p99 on disk, reference = p99 in memory.
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
    emit({ name: 'party_join_p99_ms', value: null, note: 'no /dev/shm (tmpfs) for the in-memory reference' });
    return;
  }
  const rounds = quick ? 2 : 6;
  const shmDir = mkdtempSync('/dev/shm/wp-bench-data-');
  const disk = await startApi();
  const memory = await startApi({ DATA_DIR: shmDir });
  const samples = { disk: [], memory: [] };
  try {
    await timedJoins(disk.url, 50); // warm-up: JIT, connections, first pages of the database
    await timedJoins(memory.url, 50);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['disk', 'memory'] : ['memory', 'disk'];
      for (const which of order) samples[which].push(...(await timedJoins(which === 'disk' ? disk.url : memory.url, PARTY_JOINS)));
    }
  } finally {
    await disk.stop();
    await memory.stop();
    removeTempDir(shmDir);
  }
  const stats = (xs) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), joins: xs.length });
  const d = stats(samples.disk);
  const m = stats(samples.memory);
  log(`party-join: SQLite on disk p50 ${d.p50} / p99 ${d.p99} ms; on tmpfs p50 ${m.p50} / p99 ${m.p99} ms`);
  emit({
    name: 'party_join_p99_ms',
    value: percentile(samples.disk, 99),
    unit: 'ms',
    reference: percentile(samples.memory, 99),
    params: {
      target: 'ratio <= 1.5',
      store: 'SQLite in DATA_DIR on disk (synchronous=FULL), as npm start runs it',
      referenceStore: 'the same build with DATA_DIR on /dev/shm (tmpfs)',
      joins: d.joins,
      concurrency: JOIN_CONCURRENCY,
      p50: d.p50,
      referenceP50: m.p50,
    },
  });
}
