// Figure 3: range_throughput_ratio_vs_nginx and range_throughput_ratio_vs_nginx_deployed.
// GET /api/media/:id/file with 1 MiB Range requests at random offsets vs Debian's nginx serving
// the same bytes from disk; the same autocannon client, connections and duration for all.
// In process: one API process (`npm start`) sends the bytes itself.
// Deployed: the same request through nginx with the repository's docker/nginx/nginx.conf,
// media.compose.conf and http-media.compose.conf in front of one API process with
// MEDIA_ACCEL_REDIRECT=/_media/ (the API checks, nginx keeps that decision for
// MEDIA_ACCEL_DECISION_SEC, default 3 s, and sends the file), as docker/compose.yml runs it.
// value = bytes/s, reference = bare nginx bytes/s, ratio = value / reference. The three are
// measured in interleaved rounds (api, nginx, deployed; nginx, deployed, api; ...) so drift in
// the machine's load lands on all of them alike.
import { chmodSync, mkdirSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startDeployedNginx } from './lib/deployed-nginx.mjs';
import { ffmpeg, freePort, LOOPBACK, log, makeTempDir, round, sleep, spawnTracked, startApi, stopChild } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
// autocannon 9 appends every response body to a JS string (`req.body += chunk`), which decodes
// 1 MiB of binary per request and caps the client near 50 MB/s whatever the server. We never
// look at bodies (no expectBody / verifyBody), so drop them; byte counting is unaffected.
{
  const queue = require(join(dirname(require.resolve('autocannon')), 'lib/pipelinedRequestsQueue.js'));
  (queue.PipelinedRequestsQueue ?? queue).prototype.addBody = function addBody() {};
}

const CONNECTIONS = 16;
const RANGE_BYTES = 1024 * 1024;
/**
 * Interleaved rounds per target; each gets durationS / ROUNDS seconds per round, and the order
 * of the three turns by one each round (no target always runs right after the same other one).
 */
const ROUNDS = 6;
/** The internal location of docker/nginx/media.compose.conf, as compose sets it. */
const ACCEL_PREFIX = '/_media/';

/** ~50 MB: 10 s of 640x360 test pattern with per-frame noise (incompressible), H.264 + AAC. */
async function makeClip(dir) {
  const file = join(dir, 'clip.mp4');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', '10', '-vf', 'noise=alls=40:allf=t',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-movflags', '+faststart', file,
  ]);
  return file;
}

async function startNginx(root, prefix) {
  const port = await freePort();
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `# one process, like the single Node process it is compared with
daemon off;
master_process off;
worker_processes 1;
user root;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  types { video/mp4 mp4; }
  server {
    listen ${LOOPBACK}:${port};
    root ${root};
    location / { }
  }
}
`,
  );
  const child = spawnTracked('nginx', ['-c', conf, '-p', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = `http://${LOOPBACK}:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${child.output}`);
    try {
      if ((await fetch(`${url}/clip.mp4`, { method: 'HEAD' })).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 100) throw new Error(`nginx did not start: ${child.output}`);
    await sleep(100);
  }
  return { url, child, stop: () => stopChild(child) };
}

function load(url, size, durationS) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: durationS,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const start = Math.floor(Math.random() * (size - RANGE_BYTES));
              return { ...req, headers: { ...req.headers, range: `bytes=${start}-${start + RANGE_BYTES - 1}` } };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = (performance.now() - started) / 1000;
        resolve({
          bytesPerSec: result.throughput.total / seconds,
          bytes: result.throughput.total,
          seconds,
          requests: result.requests.total,
          status: result.statusCodeStats,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          latencyP99Ms: result.latency.p99,
        });
      },
    );
  });
}

async function checkRange(url, size) {
  const res = await fetch(url, { headers: { range: `bytes=1000-${1000 + RANGE_BYTES - 1}` } });
  const body = await res.arrayBuffer();
  if (res.status !== 206 || body.byteLength !== RANGE_BYTES) {
    throw new Error(`${url}: expected 206 with ${RANGE_BYTES} bytes, got ${res.status} with ${body.byteLength} (file ${size})`);
  }
}

/** Sums of several load() runs. */
function total(runs) {
  const sum = (k) => runs.reduce((acc, r) => acc + r[k], 0);
  const seconds = runs.reduce((acc, r) => acc + r.seconds, 0);
  return {
    bytesPerSec: sum('bytes') / seconds,
    bytes: sum('bytes'),
    seconds,
    requests: sum('requests'),
    status: Object.assign({}, ...runs.map((r) => r.status)),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    latencyP99Ms: Math.max(...runs.map((r) => r.latencyP99Ms)),
  };
}

async function upload(apiUrl, file) {
  const form = new FormData();
  form.append('file', await openAsBlob(file, { type: 'video/mp4' }), 'clip.mp4');
  const up = await fetch(`${apiUrl}/api/media`, { method: 'POST', body: form });
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
  return (await up.json()).id;
}

export async function rangeBench({ quick, emit }) {
  const durationS = quick ? 3 : 12;
  const rounds = quick ? 1 : ROUNDS;
  const dir = makeTempDir('range');
  const file = await makeClip(dir);
  const size = statSync(file).size;
  // No ffmpeg for these servers: the upload is served as a file and no transcode competes for CPU.
  const noFfmpeg = { FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' };
  const api = await startApi(noFfmpeg);
  // The deployed replica: its media volume readable by nginx's unprivileged workers, as in compose.
  const accelMedia = makeTempDir('media-accel');
  chmodSync(accelMedia, 0o755);
  let nginx;
  let deployed;
  let replica;
  try {
    replica = await startApi({ ...noFfmpeg, MEDIA_ACCEL_REDIRECT: ACCEL_PREFIX, TRUST_PROXY: 'true' }, { mediaDir: accelMedia });
    const apiUrl = `${api.url}/api/media/${await upload(api.url, file)}/file`;
    const replicaId = await upload(replica.url, file);
    nginx = await startNginx(dir, makeTempDir('nginx'));
    deployed = await startDeployedNginx({ upstreams: [`${LOOPBACK}:${replica.port}`], mediaDir: accelMedia });
    const nginxUrl = `${nginx.url}/clip.mp4`;
    const deployedUrl = `${deployed.url}/api/media/${replicaId}/file`;
    await checkRange(apiUrl, size);
    await checkRange(nginxUrl, size);
    await checkRange(deployedUrl, size);
    // nginx sent it (its validators), not the replica: the handover is in place
    const etag = (await fetch(deployedUrl, { method: 'HEAD' })).headers.get('etag') ?? '';
    const st = statSync(join(accelMedia, replicaId, 'original.mp4'));
    if (etag !== `"${Math.floor(st.mtimeMs / 1000).toString(16)}-${st.size.toString(16)}"`) {
      throw new Error(`deployed: expected nginx to send the file (its ETag), got ETag ${etag}`);
    }
    // warm all three (page cache, JIT), then measure in interleaved rounds
    for (const url of [apiUrl, nginxUrl, deployedUrl]) await load(url, size, quick ? 0.5 : 1);
    const runs = { api: [], nginx: [], deployed: [] };
    const urls = { api: apiUrl, nginx: nginxUrl, deployed: deployedUrl };
    const order = ['api', 'nginx', 'deployed'];
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < order.length; j++) {
        const target = order[(i + j) % order.length];
        runs[target].push(await load(urls[target], size, durationS / rounds));
      }
    }
    const a = total(runs.api);
    const n = total(runs.nginx);
    const d = total(runs.deployed);
    const mib = (x) => round(x.bytesPerSec / 2 ** 20, 1);
    log(`range: api ${mib(a)} MiB/s, nginx ${mib(n)} MiB/s, deployed (nginx + X-Accel-Redirect + api) ${mib(d)} MiB/s`);
    const failed = (x) => x.non2xx + x.errors + x.timeouts;
    const common = {
      fileBytes: size,
      rangeBytes: RANGE_BYTES,
      connections: CONNECTIONS,
      durationS,
      rounds,
      client: 'autocannon 9 (programmatic, body accumulation disabled), same process for all',
      nginx: 'Debian nginx-light 1 process (master_process off), sendfile on',
      nginxMiBps: mib(n),
      nginxRequests: n.requests,
      nginxLatencyP99Ms: n.latencyP99Ms,
      nginxStatus: Object.keys(n.status),
    };
    emit({
      name: 'range_throughput_ratio_vs_nginx',
      value: a.bytesPerSec,
      unit: 'B/s',
      reference: n.bytesPerSec,
      ...(failed(a) + failed(n) > 0 ? { error: `failed requests: api non2xx ${a.non2xx} errors ${a.errors}; nginx non2xx ${n.non2xx} errors ${n.errors}` } : {}),
      params: {
        target: 'ratio >= 0.6',
        ...common,
        apiMiBps: mib(a),
        apiRequests: a.requests,
        apiLatencyP99Ms: a.latencyP99Ms,
        apiStatus: Object.keys(a.status),
      },
    });
    emit({
      name: 'range_throughput_ratio_vs_nginx_deployed',
      value: d.bytesPerSec,
      unit: 'B/s',
      reference: n.bytesPerSec,
      ...(failed(d) + failed(n) > 0 ? { error: `failed requests: deployed non2xx ${d.non2xx} errors ${d.errors}; nginx non2xx ${n.non2xx} errors ${n.errors}` } : {}),
      params: {
        target: 'ratio >= 0.95',
        ...common,
        deployed: 'docker/nginx/nginx.conf + media.compose.conf + http-media.compose.conf (Debian nginx, worker_processes auto) -> 1 API process, MEDIA_ACCEL_REDIRECT=/_media/, decisions kept MEDIA_ACCEL_DECISION_SEC (default 3 s)',
        deployedMiBps: mib(d),
        deployedRequests: d.requests,
        deployedLatencyP99Ms: d.latencyP99Ms,
        deployedStatus: Object.keys(d.status),
      },
    });
  } finally {
    await deployed?.stop();
    await nginx?.stop();
    await replica?.stop();
    await api.stop();
  }
}
