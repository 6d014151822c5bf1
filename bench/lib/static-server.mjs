// A tiny static server on 127.0.0.1 with CORS and byte ranges (enough for <video> and hls.js),
// serving several roots: { '/clip/': dir, '/naive/': dir, '/vendor/hls.min.js': file, ... }.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { LOOPBACK } from './util.mjs';

const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.ts': 'video/mp2t',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

function resolvePath(mounts, pathname) {
  for (const [prefix, target] of Object.entries(mounts)) {
    if (!prefix.endsWith('/')) {
      if (pathname === prefix) return target;
      continue;
    }
    if (!pathname.startsWith(prefix)) continue;
    const path = normalize(join(target, pathname.slice(prefix.length)));
    return path.startsWith(target + sep) ? path : null;
  }
  return null;
}

export function serveStatic(mounts) {
  const handler = (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'OPTIONS') return res.writeHead(204).end();
    let path;
    try {
      path = resolvePath(mounts, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    } catch {
      path = null;
    }
    if (!path || !existsSync(path) || !statSync(path).isFile()) return res.writeHead(404).end();
    const size = statSync(path).size;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', TYPES[extname(path)] ?? 'application/octet-stream');
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) return res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    } else {
      res.writeHead(200, { 'Content-Length': size });
    }
    if (req.method === 'HEAD') return res.end();
    createReadStream(path, { start, end }).pipe(res);
  };
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      resolve({
        url: (p) => `http://${LOOPBACK}:${port}${p}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
