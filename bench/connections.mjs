// Figure 2: connections_per_replica and rss_kib_per_connection.
// Idle authenticated clients ramped up to N (10,000; 1,000 with --quick) across 2 replicas
// sharing one Redis; the RSS delta (VmRSS) of the replica processes divided by the clients
// they hold. Reference: the bare socket.io server, also 2 processes, same clients, same split.
import { LoadGen, makeAppParticipants, makeBareParticipants } from './lib/loadgen.mjs';
import { forceGc, log, round, rssKiB, sleep, startApi, startBare, startRedis } from './lib/util.mjs';

const REPLICAS = 2;
const WORKERS = 2;
/**
 * Idle parties of 10. Every join re-announces the whole participant list to the party
 * (O(n^2) bytes per party), so 10,000 clients in parties of 200 would measure that flood,
 * not idle connections; the fan-out figure covers full parties.
 */
const PARTY_SIZE = 10;
const INSPECT = ['--inspect=127.0.0.1:0'];

async function rssAfterGc(servers) {
  await Promise.all(servers.map((s) => forceGc(s.child)));
  await sleep(500);
  return servers.map((s) => rssKiB(s.pid));
}

/** Clients alternate across workers (no host role matters here). */
function split(clients) {
  const per = Array.from({ length: WORKERS }, () => []);
  clients.forEach((c, i) => per[i % WORKERS].push(c));
  return per;
}

async function ramp(servers, clients, settleMs) {
  await sleep(1000);
  const before = await rssAfterGc(servers);
  const gen = new LoadGen(WORKERS);
  try {
    const conn = await gen.connect(split(clients), 100);
    await sleep(settleMs);
    const held = await gen.count();
    const after = await rssAfterGc(servers);
    const perServer = servers.map((s) => conn.perUrl[s.url] ?? 0);
    const deltaKiB = after.reduce((a, x, i) => a + x - before[i], 0);
    return {
      connected: conn.ok,
      failed: conn.failed,
      errors: conn.errors,
      held,
      perServer,
      rampS: conn.ms / 1000,
      beforeKiB: before,
      afterKiB: after,
      kibPerConnection: deltaKiB / Math.max(1, conn.ok),
    };
  } finally {
    await gen.close();
  }
}

export async function connectionsBench({ quick, emit }) {
  const total = quick ? 1000 : 10000;
  const settleMs = quick ? 1000 : 8000;

  let ref;
  const bares = [];
  try {
    for (let i = 0; i < REPLICAS; i++) bares.push(await startBare({ nodeArgs: INSPECT }));
    const { clients } = makeBareParticipants(
      bares.map((b) => b.url),
      total,
      { partySize: PARTY_SIZE },
    );
    ref = await ramp(bares, clients, settleMs);
    log(`connections reference (bare socket.io x${REPLICAS}): ${ref.connected} held, ${round(ref.kibPerConnection)} KiB/conn`);
  } catch (err) {
    ref = { error: String(err.message ?? err) };
  } finally {
    for (const b of bares) await b.stop();
  }

  const params = {
    connections: total,
    replicas: REPLICAS,
    partySize: PARTY_SIZE,
    loadGenerators: WORKERS,
    settleS: settleMs / 1000,
    rss: 'VmRSS after a forced full GC (inspector), before and after the ramp',
  };
  let redis = null;
  const apis = [];
  try {
    redis = await startRedis();
    for (let i = 0; i < REPLICAS; i++) apis.push(await startApi({ REDIS_URL: redis.url }, { nodeArgs: INSPECT }));
    const joinStart = performance.now();
    const { clients } = await makeAppParticipants(
      apis.map((a) => a.url),
      total,
      { concurrency: 64, partySize: PARTY_SIZE },
    );
    const joinS = (performance.now() - joinStart) / 1000;
    // a client connects to the replica its index says: alternate across replicas
    clients.forEach((c, i) => (c.url = apis[i % REPLICAS].url));
    const app = await ramp(apis, clients, settleMs);
    log(`connections app (${REPLICAS} replicas + Redis): ${app.connected} held, ${round(app.kibPerConnection)} KiB/conn`);
    const shared = {
      ...params,
      failed: app.failed,
      heldAfterSettle: app.held,
      perReplica: app.perServer,
      rampS: round(app.rampS),
      joinViaRestS: round(joinS),
      rssBeforeKiB: app.beforeKiB,
      rssAfterKiB: app.afterKiB,
      ...(app.errors.length ? { errors: app.errors } : {}),
    };
    emit({
      name: 'connections_per_replica',
      value: Math.min(...app.perServer),
      unit: 'connections',
      reference: ref.error ? null : Math.min(...ref.perServer),
      ...(ref.error ? { error: `reference failed: ${ref.error}` } : {}),
      params: { ...shared, target: `${total / REPLICAS} per replica (all ${total} held)` },
    });
    emit({
      name: 'rss_kib_per_connection',
      value: app.kibPerConnection,
      unit: 'KiB',
      reference: ref.error ? null : ref.kibPerConnection,
      ...(ref.error ? { error: `reference failed: ${ref.error}` } : {}),
      params: {
        ...shared,
        target: 'value < 40 KiB',
        referenceRssBeforeKiB: ref.beforeKiB,
        referenceRssAfterKiB: ref.afterKiB,
      },
    });
  } finally {
    for (const a of apis) await a.stop();
    await redis?.stop();
  }
}
