// The deployment's nginx for the benchmarks: Debian's nginx with the repository's
// docker/nginx/nginx.conf as it is, in front of the given API processes, and
// docker/nginx/media.compose.conf with only its alias moved from the compose volume to
// `mediaDir`, and http-media.compose.conf as it is (media files sent by nginx after the API's
// decision, kept for MEDIA_ACCEL_DECISION_SEC in a cache under the prefix). Loopback only.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, LOOPBACK, makeTempDir, ROOT, sleep, spawnTracked, stopChild } from './util.mjs';

const NGINX_DIR = join(ROOT, 'docker/nginx');
const COMPOSE_MEDIA_ALIAS = 'alias /data/media/;';

/**
 * `upstreams`: host:port of each API process. Workers run as nginx's default unprivileged user,
 * as in the image, so `mediaDir` must be readable by others. Resolves with { url, child, stop }.
 */
export async function startDeployedNginx({ upstreams, mediaDir }) {
  const prefix = makeTempDir('nginx-deployed');
  // The decisions' cache (http-media.compose.conf's proxy_cache_path) lives under the prefix,
  // written by the unprivileged workers: they must be able to reach it.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'conf'));
  copyFileSync(join(NGINX_DIR, 'nginx.conf'), join(prefix, 'conf/nginx.conf'));
  writeFileSync(join(prefix, 'conf/upstream.conf'), upstreams.map((u) => `server ${u} max_fails=1 fail_timeout=5s;`).join('\n') + '\n');
  const port = await freePort();
  writeFileSync(join(prefix, 'conf/listen.conf'), `listen ${LOOPBACK}:${port};\n`);
  if (mediaDir) {
    const conf = readFileSync(join(NGINX_DIR, 'media.compose.conf'), 'utf8');
    if (conf.split(COMPOSE_MEDIA_ALIAS).length !== 2) throw new Error(`media.compose.conf must have exactly one "${COMPOSE_MEDIA_ALIAS}"`);
    writeFileSync(join(prefix, 'conf/media.conf'), conf.replace(COMPOSE_MEDIA_ALIAS, `alias ${resolve(mediaDir)}/;`));
    copyFileSync(join(NGINX_DIR, 'http-media.compose.conf'), join(prefix, 'conf/http-media.conf'));
  }
  const child = spawnTracked('nginx', ['-p', prefix, '-c', 'conf/nginx.conf', '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://${LOOPBACK}:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx (deployed conf) exited: ${child.output}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 100) throw new Error(`nginx (deployed conf) did not start: ${child.output}`);
    await sleep(100);
  }
  return { url, child, stop: () => stopChild(child) };
}
