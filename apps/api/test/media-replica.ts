import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');

/** One built API process (`node dist/apps/api/main.js`), as production runs it. */
export interface BuiltReplica {
  url: string;
  pid: number;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

export async function startBuiltReplica(env: Record<string, string>, logFile: string): Promise<BuiltReplica> {
  if (!existsSync(MAIN)) throw new Error('no API build: run `npx nx build api` first');
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RTMP_PORT: '0', ...env },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the replica exited with ${child.exitCode}: see ${logFile}`);
    try {
      if ((await httpGet(`${url}/api/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the replica did not come up: see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return { url, pid: child.pid as number, process: child, exited, stop };
}

/**
 * A GET on its own connection (closed after the answer), so the server's descriptor count
 * does not include idle keep-alive sockets of the test.
 */
export function httpGet(url: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    }).on('error', reject);
  });
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time a process has used so far, in ms (utime + stime of /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** `wp_refusals_total{reason}` as /metrics reports it (0 when never counted). */
export async function refusalCount(url: string, reason: string): Promise<number> {
  const text = (await httpGet(`${url}/metrics`)).body;
  const m = new RegExp(`^wp_refusals_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export interface HealthReport {
  probes: number;
  failures: number;
  slowestMs: number;
  /** every probe's latency, in order */
  ms: number[];
}

const PROBE_SCRIPT = `
const { get } = require('node:http');
const url = process.argv[1];
const report = { probes: 0, failures: 0, slowestMs: 0, ms: [] };
let running = true;
process.stdin.on('end', () => { running = false; });
process.stdin.resume();
(async () => {
  while (running) {
    const started = performance.now();
    const status = await new Promise((r) => {
      get(url, { agent: false }, (res) => { res.resume(); res.on('end', () => r(res.statusCode)); }).on('error', () => r(0));
    });
    report.probes++;
    if (status !== 200) report.failures++;
    const ms = performance.now() - started;
    report.ms.push(Math.round(ms));
    report.slowestMs = Math.max(report.slowestMs, ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stdout.write(JSON.stringify(report));
})();
`;

/**
 * Polls `<url>/api/health` every 100 ms from a separate process, so the test's own load does
 * not inflate the latencies it measures. `stop()` returns what it saw.
 */
export function startHealthProbe(url: string): { stop(): Promise<HealthReport> } {
  const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, `${url}/api/health`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    stop: async () => {
      child.stdin?.end();
      await exited;
      return JSON.parse(out) as HealthReport;
    },
  };
}
