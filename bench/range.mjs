// Figure 3: range_throughput_ratio_vs_nginx.
// GET /api/media/:id/file with 1 MiB Range requests at random offsets vs Debian's nginx serving
// the same bytes from disk; the same autocannon client, connections and duration for both.
// value = API bytes/s, reference = nginx bytes/s, ratio = value / reference.
import { mkdirSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

export async function rangeBench({ quick, emit }) {
  const durationS = quick ? 3 : 10;
  const dir = makeTempDir('range');
  const file = await makeClip(dir);
  const size = statSync(file).size;
  // No ffmpeg for this server: the upload is served as a file and no transcode competes for CPU.
  const api = await startApi({ FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' });
  let nginx;
  try {
    const form = new FormData();
    form.append('file', await openAsBlob(file, { type: 'video/mp4' }), 'clip.mp4');
    const up = await fetch(`${api.url}/api/media`, { method: 'POST', body: form });
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
    const media = await up.json();
    const apiUrl = `${api.url}/api/media/${media.id}/file`;
    nginx = await startNginx(dir, makeTempDir('nginx'));
    const nginxUrl = `${nginx.url}/clip.mp4`;
    await checkRange(apiUrl, size);
    await checkRange(nginxUrl, size);
    // warm both (page cache, JIT), then measure: API, nginx
    await load(apiUrl, size, quick ? 0.5 : 1);
    await load(nginxUrl, size, quick ? 0.5 : 1);
    const a = await load(apiUrl, size, durationS);
    const n = await load(nginxUrl, size, durationS);
    log(`range: api ${round(a.bytesPerSec / 2 ** 20)} MiB/s, nginx ${round(n.bytesPerSec / 2 ** 20)} MiB/s`);
    const bad = a.non2xx + a.errors + a.timeouts + n.non2xx + n.errors + n.timeouts;
    emit({
      name: 'range_throughput_ratio_vs_nginx',
      value: a.bytesPerSec,
      unit: 'B/s',
      reference: n.bytesPerSec,
      ...(bad > 0 ? { error: `failed requests: api non2xx ${a.non2xx} errors ${a.errors}; nginx non2xx ${n.non2xx} errors ${n.errors}` } : {}),
      params: {
        target: 'ratio >= 0.5',
        fileBytes: size,
        rangeBytes: RANGE_BYTES,
        connections: CONNECTIONS,
        durationS,
        client: 'autocannon 9 (programmatic, body accumulation disabled), same process for both',
        nginx: 'Debian nginx-light 1 process (master_process off), sendfile on',
        apiMiBps: round(a.bytesPerSec / 2 ** 20, 1),
        nginxMiBps: round(n.bytesPerSec / 2 ** 20, 1),
        apiRequests: a.requests,
        nginxRequests: n.requests,
        apiLatencyP99Ms: a.latencyP99Ms,
        nginxLatencyP99Ms: n.latencyP99Ms,
        apiStatus: Object.keys(a.status),
        nginxStatus: Object.keys(n.status),
      },
    });
  } finally {
    await nginx?.stop();
    await api.stop();
  }
}
