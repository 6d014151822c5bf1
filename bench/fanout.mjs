// Figure 1: sync_fanout_p50_ms / sync_fanout_p99_ms.
// A host's playback:control emit -> every participant's playback:state receipt, measured on the
// machine-wide monotonic clock by the load generator (2 child processes holding the clients).
// Parties hold at most 200 participants (the protocol's limit), so 1000 clients are 5 parties of
// 200 whose 5 hosts command at the same instant; the reference uses the same layout.
import { LoadGen, makeAppParticipants, makeBareParticipants, splitAcrossWorkers } from './lib/loadgen.mjs';
import { log, maxOf, percentile, round, sleep, startApi, startBare, startRedis } from './lib/util.mjs';

const WORKERS = 2;

async function measure(urls, clients, total, { rounds, warmup, settleMs }) {
  const gen = new LoadGen(WORKERS);
  try {
    const conn = await gen.connect(splitAcrossWorkers(clients, WORKERS), 50);
    // a few lost handshakes on an overloaded machine are reported, not fatal; a lost host is
    if (conn.hostsFailed > 0 || conn.failed > total * 0.01) {
      throw new Error(`${conn.failed} of ${total} clients failed to connect: ${[...new Set(conn.errors)].join('; ')}`);
    }
    // let the join announcements (participants:update to everyone) drain before measuring
    await sleep(total >= 1000 ? settleMs : settleMs / 2);
    const lat = [];
    let missing = 0;
    const ackErrors = [];
    for (let r = 0; r < rounds + warmup; r++) {
      const { emits, recvs, ackErrors: errs } = await gen.round(r);
      ackErrors.push(...errs);
      if (process.env.BENCH_DEBUG) {
        const l = [];
        for (let k = 0; k < recvs.length; k += 2) l.push(recvs[k + 1] - emits.get(recvs[k]));
        log(`  round ${r}: n=${l.length} p50 ${round(percentile(l, 50))} max ${round(maxOf(l))}`);
      }
      if (r >= warmup) {
        for (let k = 0; k < recvs.length; k += 2) lat.push(recvs[k + 1] - emits.get(recvs[k]));
        missing += conn.ok - recvs.length / 2;
      }
      // 20 control events/s per participant: a host commands at most every ~120 ms here
      await sleep(100 + Math.random() * 50);
    }
    return { lat, missing, ackErrors, connectMs: conn.ms, connectFailed: conn.failed };
  } finally {
    await gen.close();
  }
}

function summary(m) {
  return { p50: percentile(m.lat, 50), p99: percentile(m.lat, 99), max: maxOf(m.lat), n: m.lat.length };
}

export async function fanoutBench({ quick, emit }) {
  const rounds = quick ? 10 : 100;
  const warmup = quick ? 2 : 3;
  const sizes = [100, 1000];
  const opts = { rounds, warmup, settleMs: quick ? 600 : 2000 };

  // Reference: one bare socket.io process, same clients, same layout (100, then 1000).
  const reference = {};
  const bare = await startBare();
  try {
    for (const total of sizes) {
      try {
        const { clients } = makeBareParticipants([bare.url], total);
        const m = await measure([bare.url], clients, total, opts);
        reference[total] = { ...summary(m), missing: m.missing, connectMs: m.connectMs };
        log(`fanout reference (bare socket.io) ${total} clients: p50 ${round(reference[total].p50)} ms, p99 ${round(reference[total].p99)} ms`);
      } catch (err) {
        reference[total] = { error: String(err.message ?? err) };
      }
    }
  } finally {
    await bare.stop();
  }

  for (const replicas of [1, 2]) {
    let redis = null;
    const apis = [];
    let startError = null;
    try {
      if (replicas > 1) redis = await startRedis();
      for (let i = 0; i < replicas; i++) apis.push(await startApi(redis ? { REDIS_URL: redis.url } : {}));
    } catch (err) {
      startError = String(err.message ?? err);
    }
    try {
      // the same servers for both sizes: fresh parties, the previous clients are gone
      for (const total of sizes) {
        const params = {
          clients: total,
          replicas,
          parties: Math.ceil(total / 200),
          rounds,
          loadGenerators: WORKERS,
          redis: replicas > 1,
        };
        const ref = reference[total];
        const emitBoth = (m, error) => {
          for (const [key, target] of [
            ['p50', null],
            ['p99', total === 1000 && replicas === 2 ? 'value < 50 ms and ratio <= 1.5' : null],
          ]) {
            const base = { name: `sync_fanout_${key}_ms`, unit: 'ms', params: { ...params, ...(target ? { target } : {}) } };
            if (error) emit({ ...base, value: null, reference: ref?.[key] ?? null, error });
            else
              emit({
                ...base,
                value: m[key],
                reference: ref?.[key] ?? null,
                ...(ref?.error ? { error: `reference failed: ${ref.error}` } : {}),
                params: {
                  ...base.params,
                  samples: m.n,
                  maxMs: round(m.max),
                  missingReceipts: m.missing,
                  connectFailed: m.connectFailed,
                  ackErrors: m.ackErrors,
                  connectS: round(m.connectMs / 1000),
                  referenceConnectS: ref?.connectMs ? round(ref.connectMs / 1000) : null,
                },
              });
          }
        };
        if (startError) {
          emitBoth(null, startError);
          continue;
        }
        try {
          const urls = apis.map((a) => a.url);
          const { clients } = await makeAppParticipants(urls, total);
          const m = await measure(urls, clients, total, opts);
          const s = summary(m);
          log(`fanout app ${replicas} replica(s) ${total} clients: p50 ${round(s.p50)} ms, p99 ${round(s.p99)} ms (connect ${round(m.connectMs / 1000)} s)`);
          emitBoth({ ...s, missing: m.missing, ackErrors: [...new Set(m.ackErrors)], connectMs: m.connectMs, connectFailed: m.connectFailed });
        } catch (err) {
          emitBoth(null, String(err.message ?? err));
        }
      }
    } finally {
      for (const a of apis) await a.stop();
      await redis?.stop();
    }
  }
}
