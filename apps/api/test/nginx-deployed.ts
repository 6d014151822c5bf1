import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

const NGINX_DIR = resolve(__dirname, '../../../docker/nginx');
/** Where docker/nginx/media.compose.conf expects the media volume. */
const COMPOSE_MEDIA_ALIAS = 'alias /data/media/;';

export interface DeployedNginx {
  url: string;
  /** what nginx wrote to stderr so far */
  output(): string;
  close(): Promise<void>;
}

/**
 * Debian's nginx with the repository's docker/nginx/nginx.conf as deployed, on loopback, in
 * front of `upstreams` (host:port). With `mediaDir`, media.conf is docker/nginx/media.compose.conf
 * with only its alias moved from the compose volume to `mediaDir`, and http-media.conf is
 * http-media.compose.conf. Workers run as nginx's default unprivileged user, as in the image:
 * `mediaDir` must be readable by others.
 */
export async function startDeployedNginx(opts: { upstreams: string[]; mediaDir?: string }): Promise<DeployedNginx> {
  if (spawnSync('nginx', ['-v']).error) throw new Error('nginx is not installed: apt-get install nginx-light');
  const prefix = mkdtempSync(join(tmpdir(), 'wp-nginx-media-'));
  // The cache of the API's media decisions (http-media.compose.conf) lives under the prefix,
  // written by the unprivileged workers: they must be able to reach it.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'conf'));
  copyFileSync(join(NGINX_DIR, 'nginx.conf'), join(prefix, 'conf/nginx.conf'));
  writeFileSync(join(prefix, 'conf/upstream.conf'), opts.upstreams.map((u) => `server ${u} max_fails=1 fail_timeout=5s;`).join('\n') + '\n');
  const port = await freePort();
  writeFileSync(join(prefix, 'conf/listen.conf'), `listen 127.0.0.1:${port};\n`);
  if (opts.mediaDir) {
    const conf = readFileSync(join(NGINX_DIR, 'media.compose.conf'), 'utf8');
    if (conf.split(COMPOSE_MEDIA_ALIAS).length !== 2) throw new Error(`media.compose.conf must have exactly one "${COMPOSE_MEDIA_ALIAS}"`);
    writeFileSync(join(prefix, 'conf/media.conf'), conf.replace(COMPOSE_MEDIA_ALIAS, `alias ${resolve(opts.mediaDir)}/;`));
    copyFileSync(join(NGINX_DIR, 'http-media.compose.conf'), join(prefix, 'conf/http-media.conf'));
  }
  let output = '';
  const nginx: ChildProcess = spawn('nginx', ['-p', prefix, '-c', 'conf/nginx.conf', '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  nginx.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => nginx.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGTERM');
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (nginx.exitCode !== null) {
      await close();
      throw new Error(`nginx exited: ${output}`);
    }
    try {
      if ((await fetch(`${url}/api/health`)).status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`nginx did not come up at ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, output: () => output, close };
}
