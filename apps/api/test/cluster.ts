import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';
import { type RedisServer, startRedis } from './redis-server';

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
const NGINX_CONF = join(ROOT, 'docker/nginx/nginx.conf');
/**
 * How long a replica may take to answer ready. Idle, one starts in about 2 s; three starting
 * at once on a shared 2-core test machine under load have taken more than 20 s.
 */
const REPLICA_STARTUP_MS = 45_000;

export interface Replica {
  url: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export interface Cluster {
  /** the load balancer */
  url: string;
  replicas: Replica[];
  redis: RedisServer;
  close(): Promise<void>;
}

async function waitHttp(url: string, ok: (status: number) => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (ok((await fetch(url)).status)) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not come up at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startReplica(env: Record<string, string>, logFile: string): Promise<Replica> {
  const log = openSync(logFile, 'a');
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RTMP_PORT: '0', SESSION_CREATE_PER_MIN: '100000', MAX_SOCKETS_PER_ADDRESS: '100000', TRUST_PROXY: 'true', ...env },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/api/health/ready`, (s) => s === 200, REPLICA_STARTUP_MS, 'API replica');
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return { url, process: child, exited };
}

/**
 * Production-like: a real redis-server (AOF), N built API processes sharing it and one
 * MEDIA_DIR, and Debian's nginx with docker/nginx/nginx.conf in front, all on loopback.
 */
export async function startCluster(n: number): Promise<Cluster> {
  if (!existsSync(MAIN)) throw new Error('no API build: run `npm run build` first (npm test does)');
  if (spawnSync('nginx', ['-v']).error) throw new Error('nginx is not installed: apt-get install nginx-light');
  const redis = await startRedis({ appendOnly: true });
  const mediaDir = mkdtempSync(join(tmpdir(), 'wp-cluster-media-'));
  const prefix = mkdtempSync(join(tmpdir(), 'wp-nginx-'));
  // Replica logs stay in the nginx prefix; set KEEP_CLUSTER_LOGS=1 to keep them after the run.
  const starting = Array.from({ length: n }, (_, i) => startReplica({ REDIS_URL: redis.url, MEDIA_DIR: mediaDir }, join(prefix, `replica-${i}.log`)));
  const replicas = await Promise.all(starting).catch(async (err: unknown) => {
    // One replica did not come up: the others (and Redis) would outlive the test and keep Jest from exiting.
    const started = await Promise.allSettled(starting);
    for (const s of started) if (s.status === 'fulfilled') s.value.process.kill('SIGKILL');
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.exited : null)));
    await redis.close();
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  });

  mkdirSync(join(prefix, 'conf'));
  copyFileSync(NGINX_CONF, join(prefix, 'conf/nginx.conf'));
  writeFileSync(
    join(prefix, 'conf/upstream.conf'),
    replicas.map((r) => `server ${r.url.replace('http://', '')} max_fails=1 fail_timeout=5s;`).join('\n') + '\n',
  );
  const port = await freePort();
  writeFileSync(join(prefix, 'conf/listen.conf'), `listen 127.0.0.1:${port};\n`);
  const nginx = spawn('nginx', ['-p', prefix, '-c', 'conf/nginx.conf', '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/api/health`, (s) => s === 200, 10_000, 'nginx');

  return {
    url,
    replicas,
    redis,
    close: async () => {
      nginx.kill('SIGTERM');
      for (const r of replicas) if (r.process.exitCode === null && r.process.signalCode === null) r.process.kill('SIGKILL');
      await Promise.all(replicas.map((r) => r.exited));
      await redis.close();
      rmSync(mediaDir, { recursive: true, force: true });
      if (process.env['KEEP_CLUSTER_LOGS']) console.log(`cluster logs kept in ${prefix}`);
      else rmSync(prefix, { recursive: true, force: true });
    },
  };
}
