import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

/** A BUILT replica (`node dist/apps/api/main.js`) with RTMP on, and what it costs while attacked. */

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');

export interface BuiltReplica {
  url: string;
  rtmpPort: number;
  pid: number;
  child: ChildProcess;
  alive(): boolean;
  /** Its stdout + stderr so far (the last 200 KB). */
  output(): string;
  close(): Promise<void>;
}

export async function startBuiltReplica(env: Record<string, string>): Promise<BuiltReplica> {
  if (!existsSync(MAIN)) throw new Error('no API build: run `npx nx build api` first');
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-rtmp-abuse-'));
  const [port, rtmpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      RTMP_PORT: String(rtmpPort),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      MEDIA_DIR: join(dataDir, 'media'),
      SESSION_CREATE_PER_MIN: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (!alive()) throw new Error(`replica exited: ${out.slice(-2000)}`);
    if ((await httpGet(`${url}/api/health/ready`, 1000).catch(() => null))?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`replica did not come up: ${out.slice(-2000)}`);
    await sleep(100);
  }
  return {
    url,
    rtmpPort,
    pid: child.pid as number,
    child,
    alive,
    output: () => out,
    close: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One request on its own connection (closed after), so it leaves no fd behind in the server. */
export function httpGet(url: string, timeoutMs: number, method = 'GET', body?: unknown): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveGet, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** `wp_refusals_total` by reason, from /metrics. */
export async function refusalCounts(url: string): Promise<Record<string, number>> {
  const text = (await httpGet(`${url}/metrics`, 5000)).body;
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^wp_refusals_total\{reason="([a-z_]+)"\} (\d+)/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

/** Waits until the replica holds at most `baseline` fds; returns the last count. */
export async function fdsBackTo(pid: number, baseline: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = fdCount(pid);
    if (n <= baseline || Date.now() > deadline) return n;
    await sleep(50);
  }
}

export interface Watch {
  peakRssKiB: number;
  maxHealthMs: number;
  healthChecks: number;
  healthFailures: string[];
}

/** Samples RSS every 25 ms and asks /api/health back to back until stopped. */
export function watch(replica: BuiltReplica): { stop(): Promise<Watch> } {
  let running = true;
  const result: Watch = { peakRssKiB: 0, maxHealthMs: 0, healthChecks: 0, healthFailures: [] };
  const sample = () => {
    if (replica.alive()) result.peakRssKiB = Math.max(result.peakRssKiB, rssKiB(replica.pid));
  };
  sample();
  const rss = setInterval(sample, 25);
  const health = (async () => {
    while (running) {
      try {
        const r = await httpGet(`${replica.url}/api/health`, 2000);
        result.maxHealthMs = Math.max(result.maxHealthMs, r.ms);
        if (r.status !== 200) result.healthFailures.push(`status ${r.status}`);
      } catch (err) {
        result.healthFailures.push((err as Error).message);
        result.maxHealthMs = Math.max(result.maxHealthMs, 2000);
      }
      result.healthChecks++;
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await health;
      clearInterval(rss);
      sample();
      return result;
    },
  };
}
