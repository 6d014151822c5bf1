// A TCP proxy on 127.0.0.1 that delays every chunk, in each direction, by base ± jitter ms
// (uniform), keeping byte order (a chunk never overtakes the one before it).
import { createConnection, createServer } from 'node:net';
import { LOOPBACK } from './util.mjs';

function delayedPipe(from, to, delay) {
  // one FIFO per direction and one timer for its head: chunks can never be reordered
  const queue = [];
  let lastAt = 0;
  let timer = null;
  let ending = null;
  const pump = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].at <= now + 0.5) {
      const { chunk } = queue.shift();
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(pump, Math.max(0, queue[0].at - performance.now()));
    else if (ending) ending();
  };
  from.on('data', (chunk) => {
    lastAt = Math.max(lastAt, performance.now() + delay());
    queue.push({ at: lastAt, chunk });
    if (!timer) timer = setTimeout(pump, Math.max(0, queue[0].at - performance.now()));
  });
  const finish = (fn) => {
    ending = () => {
      ending = null;
      fn();
    };
    if (!timer && !queue.length) ending();
  };
  from.on('end', () => finish(() => to.end()));
  from.on('close', () => finish(() => to.destroy()));
  from.on('error', () => undefined);
  return () => {
    clearTimeout(timer);
    queue.length = 0;
  };
}

export function startDelayProxy(targetPort, { baseMs = 100, jitterMs = 30 } = {}) {
  const delay = () => baseMs + (Math.random() * 2 - 1) * jitterMs;
  const sockets = new Set();
  const stops = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: LOOPBACK, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    stops.add(delayedPipe(client, upstream, delay));
    stops.add(delayedPipe(upstream, client, delay));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      resolve({
        url: `http://${LOOPBACK}:${port}`,
        port,
        close: () =>
          new Promise((r) => {
            for (const s of stops) s();
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
