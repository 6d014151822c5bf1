// Load-generator child process (forked by the fan-out and connection benchmarks, so the
// generator never shares a core's event loop with the bench driver). It holds many Socket.IO
// clients and talks to its parent over IPC:
//   connect {clients:[{url, token, s, host}], concurrency}  -> connected {ok, failed, errors, ms}
//   round {round}      hosts here emit playback:control seek(position = round + 1)
//                      -> report {round, emits:[[s, t]], recvs:[s, t, s, t, ...], ackErrors}
//                         once every client here got that round's playback:state (or on flush)
//   flush {round}      -> report for that round with whatever arrived
//   count              -> count {connected}
//   close              -> exits
// Times are monoMs() (CLOCK_MONOTONIC), comparable across processes on this machine.
import { monoMs } from './lib/util.mjs';
import { SioClient } from './lib/sio-client.mjs';

const clients = [];
const hosts = [];
const rounds = new Map(); // round -> { emits: [], recvs: [], count, reported, ackErrors }

function roundEntry(r) {
  let e = rounds.get(r);
  if (!e) {
    e = { emits: [], recvs: [], count: 0, reported: false, ackErrors: [] };
    rounds.set(r, e);
  }
  return e;
}

function report(r) {
  const e = roundEntry(r);
  if (e.reported) return;
  e.reported = true;
  process.send({ type: 'report', round: r, emits: e.emits, recvs: e.recvs, ackErrors: e.ackErrors });
  e.emits = [];
  e.recvs = [];
}

async function connectAll(specs, concurrency) {
  const start = monoMs();
  let ok = 0;
  let failed = 0;
  const errors = [];
  const perUrl = {};
  let hostsFailed = 0;
  let next = 0;
  const attempt = async (spec) => {
    let readyResolve;
    const ready = new Promise((r) => (readyResolve = r));
    const client = new SioClient(spec.url, { token: spec.token }, {
      'session:snapshot': () => readyResolve(),
      'playback:state': (state, t) => {
        if (state.action !== 'seek') return;
        const r = Math.round(state.position) - 1;
        const e = roundEntry(r);
        if (e.reported) return;
        e.recvs.push(spec.s, t);
        e.count++;
        if (e.count === clients.length) report(r);
      },
    });
    client.spec = spec;
    let timer;
    const timeout = new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error('no snapshot within 30 s')), 30000);
    });
    try {
      await Promise.race([client.ready.then(() => ready), timeout]);
      return client;
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  const one = async (spec) => {
    // an overloaded server may drop a handshake: try up to 3 times
    for (let i = 0; ; i++) {
      try {
        const client = await attempt(spec);
        clients.push(client);
        if (spec.host) hosts.push(client);
        ok++;
        perUrl[spec.url] = (perUrl[spec.url] ?? 0) + 1;
        return;
      } catch (err) {
        if (i < 2) continue;
        failed++;
        if (errors.length < 5) errors.push(String(err.message ?? err));
        if (spec.host) hostsFailed++;
        return;
      }
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < specs.length) await one(specs[next++]);
    }),
  );
  return { ok, failed, hostsFailed, errors, perUrl, ms: monoMs() - start };
}

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'connect': {
      const result = await connectAll(msg.clients, msg.concurrency ?? 50);
      process.send({ type: 'connected', ...result });
      break;
    }
    case 'round': {
      const r = msg.round;
      const e = roundEntry(r);
      for (const h of hosts) {
        const t = monoMs();
        h.emit('playback:control', { action: 'seek', position: r + 1 }, (ack) => {
          if (!ack?.ok) e.ackErrors.push(ack?.error?.code ?? 'no ack');
        });
        e.emits.push([h.spec.s, t]);
      }
      if (clients.length === 0) report(r);
      break;
    }
    case 'flush':
      report(msg.round);
      break;
    case 'count':
      process.send({ type: 'count', connected: clients.filter((c) => c.connected && !c.closed).length });
      break;
    case 'close':
      for (const c of clients) c.close();
      process.exit(0);
  }
});

process.on('disconnect', () => process.exit(0));
