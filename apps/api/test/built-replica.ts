import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';
import { type RedisServer, startRedis } from './redis-server';

/**
 * A BUILT replica (`node dist/apps/api/main.js`) spawned as production runs it, and what it
 * costs while it is attacked: RSS, descriptors, CPU, /api/health latency, refusals counted.
 */

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
/** What the output buffer keeps: the last part, so a long attack cannot fill the test's memory. */
const OUTPUT_KEEP = 200_000;
const STARTUP_MS = 20_000;
/** After SIGTERM, how long the replica may drain before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface BuiltReplica {
  url: string;
  /** 0 when started without RTMP */
  rtmpPort: number;
  pid: number;
  process: ChildProcess;
  dataDir: string;
  mediaDir: string;
  exited: Promise<number | null>;
  alive(): boolean;
  /** Its stdout + stderr so far (the last 200 KB). */
  output(): string;
  /**
   * Ends the process (SIGKILL by default; SIGTERM drains it, with SIGKILL after 10 s) and
   * removes the directories it was given by default. A caller's DATA_DIR or MEDIA_DIR stays.
   */
  close(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface BuiltReplicaOptions {
  /** extra environment, over the defaults below (DATA_DIR and MEDIA_DIR included) */
  env?: Record<string, string>;
  redisUrl?: string;
  /** listen for RTMP on a free port; without, RTMP is off */
  rtmp?: boolean;
}

export async function startBuiltReplica(opts: BuiltReplicaOptions = {}): Promise<BuiltReplica> {
  if (!existsSync(MAIN)) throw new Error('no API build: run `npx nx build api` first');
  const own = mkdtempSync(join(tmpdir(), 'wp-built-'));
  const [port, rtmpPort] = [await freePort(), opts.rtmp ? await freePort() : 0];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    RTMP_PORT: String(rtmpPort),
    LOG_LEVEL: 'warn',
    DATA_DIR: join(own, 'data'),
    MEDIA_DIR: join(own, 'media'),
    SESSION_CREATE_PER_MIN: '100000',
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * OUTPUT_KEEP) out = out.slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    if (!alive()) throw new Error(`the replica exited with ${child.exitCode ?? child.signalCode}: ${out.slice(-2000)}`);
    if ((await httpRequest(`${url}/api/health/ready`, { timeoutMs: 1000 }).catch(() => null))?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the replica did not come up: ${out.slice(-2000)}`);
    }
    await sleep(100);
  }
  return {
    url,
    rtmpPort,
    pid: child.pid as number,
    process: child,
    dataDir: env['DATA_DIR'],
    mediaDir: env['MEDIA_DIR'],
    exited,
    alive,
    output: () => out,
    close: async (signal = 'SIGKILL') => {
      if (alive()) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
      rmSync(own, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** the body's length in bytes */
  bytes: number;
  ms: number;
}

export interface HttpInit {
  /** GET, or POST when there is a body */
  method?: string;
  headers?: Record<string, string>;
  /** sent as JSON, or as it is when a Buffer */
  body?: unknown;
  /** 5 s unless given */
  timeoutMs?: number;
}

/**
 * One request on its own connection, closed after the answer, so it leaves no descriptor in
 * the server (a pooled keep-alive socket would count as a leak). `body`: JSON, or raw bytes.
 */
export function httpRequest(url: string, init: HttpInit = {}): Promise<HttpAnswer> {
  const t0 = performance.now();
  const timeoutMs = init.timeoutMs ?? 5000;
  const raw = Buffer.isBuffer(init.body);
  const payload = init.body === undefined ? undefined : raw ? (init.body as Buffer) : Buffer.from(JSON.stringify(init.body));
  const headers: Record<string, string | number> = { connection: 'close', ...init.headers };
  if (payload) {
    headers['content-length'] = payload.length;
    if (!raw) headers['content-type'] = 'application/json';
  }
  return new Promise((resolveRequest, reject) => {
    const req = request(url, { method: init.method ?? (payload ? 'POST' : 'GET'), agent: false, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolveRequest({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes: bytes.length, ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** CPU time a process has used so far, in ms (utime + stime of /proc/<pid>/stat, 100 ticks a second). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** `wp_refusals_total` by reason, from /metrics. */
export async function refusalCounts(url: string): Promise<Record<string, number>> {
  const text = (await httpRequest(`${url}/metrics`)).body;
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^wp_refusals_total\{reason="([a-z_]+)"\} (\d+)/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

/** `wp_refusals_total{reason}` (0 when never counted). */
export async function refusalCount(url: string, reason: string): Promise<number> {
  return (await refusalCounts(url))[reason] ?? 0;
}

/** Waits until the process holds at most `baseline` fds; returns the last count. */
export async function fdsBackTo(pid: number, baseline: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = fdCount(pid);
    if (n <= baseline || Date.now() > deadline) return n;
    await sleep(50);
  }
}

/**
 * A Node script in a process of its own, run from the repository root (so it can require the
 * workspace's packages). It talks in JSON, one value a line on stdout, and is expected to let
 * go of what it holds and exit when its stdin ends. `nice` lowers its CPU priority.
 */
export interface ScriptProcess {
  /** The next value it writes; rejects when it exits without writing one. */
  next<T>(): Promise<T>;
  /** Ends its stdin and waits for it to exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export function runScript(script: string, args: string[], opts: { nice?: number } = {}): ScriptProcess {
  const node = [process.execPath, '-e', script, ...args];
  const [command, ...argv] = opts.nice ? ['nice', '-n', String(opts.nice), ...node] : node;
  const child = spawn(command, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let partial = '';
  let errors = '';
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  child.stderr?.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  let gone = false;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      gone = true;
      waiting.splice(0).forEach((w) => w(null));
      r();
    }),
  );
  const parse = <T>(line: string | null): T => {
    if (line === null) throw new Error(`the script exited without answering: ${errors}`);
    return JSON.parse(line) as T;
  };
  return {
    next: <T>() => {
      const line = lines.shift();
      if (line !== undefined || gone) return Promise.resolve().then(() => parse<T>(line ?? null));
      return new Promise<string | null>((r) => waiting.push(r)).then((l) => parse<T>(l));
    },
    stop: async () => {
      child.stdin?.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** For scripts: `call(url, init)` is `httpRequest` without the types (one connection each, closed after). */
const SCRIPT_HTTP = `
const { request } = require('node:http');
function call(url, init = {}) {
  const t0 = performance.now();
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  const headers = { connection: 'close', ...init.headers };
  if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  const timeoutMs = init.timeoutMs ?? 5000;
  return new Promise((done) => {
    const req = request(url, { method: init.method ?? (payload ? 'POST' : 'GET'), agent: false, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within ' + timeoutMs + ' ms')));
    req.on('error', (e) => done({ status: 0, headers: {}, body: e.message, ms: performance.now() - t0 }));
    req.end(payload);
  });
}
`;

export interface Watch {
  /** /api/health requests sent, and what went wrong with any of them */
  probes: number;
  failures: string[];
  slowestMs: number;
  peakRssKiB: number;
  peakFds: number;
}

const WATCH_SCRIPT = `${SCRIPT_HTTP}
const { readdirSync, readFileSync } = require('node:fs');
const [url, pid, timeoutMs] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const r = { probes: 0, failures: [], slowestMs: 0, peakRssKiB: 0, peakFds: 0 };
const sample = () => {
  try {
    const m = /^VmRSS:\\s+(\\d+) kB/m.exec(readFileSync('/proc/' + pid + '/status', 'utf8'));
    if (m) r.peakRssKiB = Math.max(r.peakRssKiB, Number(m[1]));
    r.peakFds = Math.max(r.peakFds, readdirSync('/proc/' + pid + '/fd').length);
  } catch {}
};
sample();
const sampler = setInterval(sample, 25);
let running = true;
process.stdin.on('end', () => { running = false; });
process.stdin.resume();
(async () => {
  while (running) {
    const a = await call(url, { timeoutMs });
    if (r.probes === 0) console.log('"ready"');
    r.probes++;
    if (a.status !== 200) r.failures.push(a.status ? 'status ' + a.status : a.body);
    r.slowestMs = Math.max(r.slowestMs, a.ms);
    await new Promise((d) => setTimeout(d, 20));
  }
  clearInterval(sampler);
  sample();
  console.log(JSON.stringify(r));
})();
`;

/** How long `watch` waits for each health probe unless told: a probe without an answer by then is a failure. */
export const PROBE_TIMEOUT_MS = 2000;

/**
 * Asks /api/health back to back (20 ms apart, `probeTimeoutMs` timeout each) and samples the
 * replica's RSS and fds every 25 ms, from a separate process: the test's own load would
 * otherwise delay the probes and inflate the latencies it measures. Resolves once the first
 * probe has answered.
 */
export async function watch(
  replica: Pick<BuiltReplica, 'url' | 'pid'>,
  opts: { probeTimeoutMs?: number } = {},
): Promise<{ stop(): Promise<Watch> }> {
  const script = runScript(WATCH_SCRIPT, [`${replica.url}/api/health`, String(replica.pid), String(opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS)]);
  await script.next<'ready'>();
  return {
    stop: async () => {
      await script.stop();
      return script.next<Watch>();
    },
  };
}

/**
 * Attack traffic runs at the lowest CPU priority: a real attacker has machines of its own, and
 * on a small shared test machine its clients would otherwise take the replica's CPU and the
 * measured latencies would be the test's, not the replica's.
 */
export const ATTACKER_NICE = 19;

/** Answers as a script sees them (a status of 0: no answer, the error in `body`). */
export type ScriptAnswer = Omit<HttpAnswer, 'bytes'>;

const BURST_SCRIPT = `${SCRIPT_HTTP}
Promise.all(JSON.parse(process.argv[1]).map(([url, init]) => call(url, init))).then((answers) => console.log(JSON.stringify(answers)));
`;

/** Sends all `requests` at once, each on its own connection, from an attacker process. */
export async function httpBurst(requests: [url: string, init: HttpInit][]): Promise<ScriptAnswer[]> {
  const script = runScript(BURST_SCRIPT, [JSON.stringify(requests)], { nice: ATTACKER_NICE });
  try {
    return await script.next<ScriptAnswer[]>();
  } finally {
    await script.stop();
  }
}

/** What every attack may cost at most (the rules). */
export const HEALTH_MS = 500;
export const RSS_HEADROOM_KIB = 300 * 1024;

export interface AttackReport extends Watch {
  name: string;
  idleRssKiB: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  fdsBefore: number;
  fdsAfter: number;
  cpuMs: number;
  /** wp_refusals_total added during the attack, by reason */
  refused: Record<string, number>;
}

/**
 * Runs `run` against the replica while watching it, lets it settle, closes what the attack
 * left open (`cleanup`), and then checks the cost: the process is up, every health probe
 * answered 200 within HEALTH_MS, RSS stayed under idle + 300 MiB, fds are back to their
 * count before the attack, and each reason in `refusals` grew by exactly that much.
 * The report is pushed to `reports` before the checks, so a failing attack is still summed up.
 */
export interface Attack {
  name: string;
  /** by reason; a function when the attack itself tells which reason the server chose */
  refusals: Record<string, number> | (() => Record<string, number>);
  /** closes what the attack holds open, before the fds are counted again */
  cleanup?: () => void | Promise<void>;
}

export async function underAttack(
  replica: BuiltReplica,
  opts: Attack & { idleRssKiB: number; reports: AttackReport[] },
  run: () => Promise<void>,
): Promise<AttackReport> {
  const countsBefore = await refusalCounts(replica.url);
  const fdsBefore = fdCount(replica.pid);
  const rssBeforeKiB = rssKiB(replica.pid);
  const cpuBefore = cpuMs(replica.pid);
  const watching = await watch(replica);
  let failed: { error: unknown } | null = null;
  try {
    await run();
    await sleep(300); // and a little after: anything the attack left to process
  } catch (error) {
    failed = { error };
  }
  const w = await watching.stop();
  await opts.cleanup?.();
  const up = replica.alive();
  const fdsAfter = up ? await fdsBackTo(replica.pid, fdsBefore) : -1;
  const countsAfter = up ? await refusalCounts(replica.url) : {};
  const expected = failed ? {} : typeof opts.refusals === 'function' ? opts.refusals() : opts.refusals;
  const report: AttackReport = {
    name: opts.name,
    ...w,
    peakRssKiB: Math.max(w.peakRssKiB, rssBeforeKiB),
    peakFds: Math.max(w.peakFds, fdsBefore),
    idleRssKiB: opts.idleRssKiB,
    rssBeforeKiB,
    rssAfterKiB: up ? rssKiB(replica.pid) : -1,
    fdsBefore,
    fdsAfter,
    cpuMs: up ? cpuMs(replica.pid) - cpuBefore : -1,
    refused: Object.fromEntries(Object.keys(expected).map((k) => [k, (countsAfter[k] ?? 0) - (countsBefore[k] ?? 0)])),
  };
  opts.reports.push(report);
  if (failed) throw failed.error;
  expect(up).toBe(true);
  expect(w.failures).toEqual([]);
  expect(w.slowestMs).toBeLessThan(HEALTH_MS);
  expect(report.peakRssKiB - opts.idleRssKiB).toBeLessThan(RSS_HEADROOM_KIB);
  expect(fdsAfter).toBeLessThanOrEqual(fdsBefore);
  expect(report.refused).toEqual(expected);
  return report;
}

/** One line for the run's log: the figures the lead quotes. */
export function describeAttack(r: AttackReport): string {
  const mib = (kib: number) => Math.round(kib / 1024);
  const refused = Object.entries(r.refused).map(([k, v]) => ` ${k} +${v}`).join(',');
  return (
    `${r.name}: RSS idle ${mib(r.idleRssKiB)} MiB, before ${mib(r.rssBeforeKiB)}, peak ${mib(r.peakRssKiB)}, after ${mib(r.rssAfterKiB)}; ` +
    `fds before ${r.fdsBefore}, peak ${r.peakFds}, after ${r.fdsAfter}; health slowest ${Math.round(r.slowestMs)} ms over ${r.probes} probes; ` +
    `CPU ${Math.round(r.cpuMs)} ms; refusals${refused || ' none counted'}`
  );
}

/**
 * The fixture of an attack spec: one built replica for the `describe` it is called in (with a
 * real redis-server in Redis mode), warmed up (`warmUp` for what the spec's attacks use first)
 * before its idle RSS is taken, and every attack summed up in the log after all of them.
 */
export class AttackSuite {
  private current: BuiltReplica | null = null;
  private redis: RedisServer | null = null;
  private failed = false;
  idleRssKiB = 0;
  readonly reports: AttackReport[] = [];
  /** more lines for the summary */
  readonly notes: string[] = [];

  constructor(
    readonly mode: 'memory' | 'redis',
    opts: BuiltReplicaOptions & { warmUp?: (replica: BuiltReplica) => Promise<void> } = {},
  ) {
    beforeAll(async () => {
      if (mode === 'redis') this.redis = await startRedis();
      this.current = await startBuiltReplica({ ...opts, redisUrl: this.redis?.url });
      for (let i = 0; i < 20; i++) await httpRequest(`${this.current.url}/api/health`, { timeoutMs: 2000 });
      await opts.warmUp?.(this.current);
      await sleep(300);
      this.idleRssKiB = rssKiB(this.current.pid);
    }, 30_000);
    afterAll(async () => {
      const out = this.current?.output() ?? '';
      await this.current?.close();
      await this.redis?.close();
      console.log(
        [`${mode} mode: ${this.reports.length} attacks`, ...this.reports.map(describeAttack), ...this.notes].join('\n  ') +
          (this.failed ? `\nreplica output:\n${out.slice(-3000)}` : ''),
      );
    });
  }

  get replica(): BuiltReplica {
    if (!this.current) throw new Error('the replica has not started');
    return this.current;
  }

  /** `underAttack` on this suite's replica, with its idle figure and reports. */
  async attack(attack: Attack, run: () => Promise<void>): Promise<AttackReport> {
    try {
      return await underAttack(this.replica, { ...attack, idleRssKiB: this.idleRssKiB, reports: this.reports }, run);
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }
}
