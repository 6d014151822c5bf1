// Shared helpers for the benchmarks: child processes (all killed on exit), ports, temp dirs,
// statistics and the app / Redis / reference servers. Everything listens on 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH_DIR, '..');
export const API_MAIN = join(ROOT, 'dist/apps/api/main.js');
export const WEB_INDEX = join(ROOT, 'dist/apps/web/browser/index.html');
export const LOOPBACK = '127.0.0.1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Monotonic clock shared by every process on this machine (CLOCK_MONOTONIC), in ms. */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

export function log(...args) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${args.join(' ')}\n`);
}

// ---------------------------------------------------------------- processes & temp dirs

const children = new Set();
const tempDirs = new Set();
const cleanups = [];

/** Registers an async cleanup run at the end (and on SIGINT/SIGTERM), most recent first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `wp-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Raises the open-files limit as far as allowed, then execs the command (the pid stays the same). */
export function spawnWithUlimit(cmd, args, options = {}) {
  const quoted = [cmd, ...args].map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(' ');
  const script = `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`;
  return track(spawn('bash', ['-c', script], options), `${cmd} ${args[0] ?? ''}`);
}

export function spawnTracked(cmd, args, options = {}) {
  return track(spawn(cmd, args, options), `${cmd} ${args[0] ?? ''}`);
}

function track(child, label) {
  child.label = label;
  child.output = '';
  const keep = (d) => {
    child.output += d.toString();
    if (!child.inspectorUrl) child.inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(child.output)?.[1];
    if (child.output.length > 20000) child.output = child.output.slice(-10000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  try {
    child.kill('SIGTERM');
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

export async function cleanupAll() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      /* best effort */
    }
  }
  await Promise.all([...children].map((c) => stopChild(c, 2000)));
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Synchronous last resort (process 'exit'): SIGKILL whatever is left, remove temp dirs. */
export function killAllSync() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const dir of [...tempDirs]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

// ---------------------------------------------------------------- ports, http

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, LOOPBACK, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

/** Runs `fn(item, i)` over items with at most `limit` in flight. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------- statistics

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Math.max without spreading (large arrays overflow the stack). */
export function maxOf(values) {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

export const round = (x, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

// ---------------------------------------------------------------- servers

export function ensureBuild() {
  return existsSync(API_MAIN) && existsSync(WEB_INDEX);
}

async function waitUntil(child, probe, what, timeoutMs = 30000) {
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${child.output.slice(-1500)}`);
    }
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() - start > timeoutMs) throw new Error(`${what} did not come up in ${timeoutMs} ms: ${child.output.slice(-1500)}`);
    await sleep(100);
  }
}

/**
 * The production build, started the way the brief says. Returns { url, port, pid, child, mediaDir, stop }.
 * `env` is merged on top of the defaults (e.g. REDIS_URL, FFMPEG_PATH).
 */
export async function startApi(env = {}, { mediaDir, nodeArgs = [] } = {}) {
  const port = await freePort();
  const dir = mediaDir ?? makeTempDir('media');
  const dataDir = makeTempDir('data');
  const child = spawnWithUlimit(process.execPath, [...nodeArgs, API_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: LOOPBACK,
      RTMP_PORT: '0',
      SESSION_CREATE_PER_MIN: '1000000',
      MAX_SOCKETS_PER_ADDRESS: '1000000', // the load generators connect from one address
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      MEDIA_DIR: dir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://${LOOPBACK}:${port}`;
  await waitUntil(child, async () => (await fetch(`${url}/api/health/ready`)).ok, 'api');
  return {
    url,
    port,
    pid: child.pid,
    child,
    mediaDir: dir,
    stop: async () => {
      await stopChild(child, 5000);
      if (!mediaDir) removeTempDir(dir);
      removeTempDir(dataDir);
    },
  };
}

export async function startRedis() {
  const port = await freePort();
  const dir = makeTempDir('redis');
  const child = spawnTracked(
    'redis-server',
    ['--port', String(port), '--bind', LOOPBACK, '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '10000'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitUntil(child, async () => child.output.includes('Ready to accept connections'), 'redis-server', 10000);
  return {
    url: `redis://${LOOPBACK}:${port}`,
    port,
    child,
    stop: async () => {
      await stopChild(child);
      removeTempDir(dir);
    },
  };
}

/** The reference: bench/bare-server.mjs (plain socket.io, no Nest, no Redis). */
export async function startBare({ nodeArgs = [] } = {}) {
  const port = await freePort();
  const child = spawnWithUlimit(process.execPath, [...nodeArgs, join(BENCH_DIR, 'bare-server.mjs'), String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitUntil(child, async () => child.output.includes('listening'), 'bare socket.io server', 10000);
  return { url: `http://${LOOPBACK}:${port}`, port, pid: child.pid, child, stop: () => stopChild(child) };
}

/** Runs ffmpeg with the given args; resolves with the elapsed ms. */
export function ffmpeg(args, { onSpawn } = {}) {
  return new Promise((resolveRun, reject) => {
    const start = performance.now();
    const child = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    onSpawn?.(child);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolveRun(performance.now() - start) : reject(new Error(`ffmpeg exited with ${code}: ${child.output.slice(-800)}`)),
    );
  });
}

/**
 * The bench clip, made in `dir`/hls: `seconds` of a 640x360 30 fps test pattern with a 440 Hz tone,
 * fMP4 HLS (browser.mjs, engines.mjs). Resolves with `dir`.
 */
export async function makeHlsClip(dir, seconds) {
  const out = join(dir, 'hls');
  mkdirSync(out);
  // the e2e clip recipe (apps/web-e2e/src/clip.ts): 640x360 H.264 + AAC, 2 s fMP4 segments
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
    join(out, 'index.m3u8'),
  ]);
  return dir;
}

/**
 * Full garbage collection in a child started with --inspect=127.0.0.1:0 (through the inspector
 * protocol, HeapProfiler.collectGarbage), so RSS readings are not dominated by garbage.
 */
export async function forceGc(child, times = 2) {
  if (!child.inspectorUrl) throw new Error('no inspector URL in the child output');
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(child.inspectorUrl);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  for (let i = 0; i < times; i++) {
    await new Promise((res) => {
      const id = i + 1;
      const onMsg = (d) => {
        if (JSON.parse(d.toString()).id === id) {
          ws.off('message', onMsg);
          res();
        }
      };
      ws.on('message', onMsg);
      ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    });
  }
  ws.close();
}
