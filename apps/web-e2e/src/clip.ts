import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';

/** Bump when the clip recipe changes: the cache dir is keyed by it. */
const CLIP_VERSION = 'v1';
const CLIP_SECONDS = 60;

const SOURCE_ARGS = [
  '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
  '-f', 'lavfi', '-i', 'sine=frequency=440',
  '-t', String(CLIP_SECONDS),
  '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
  '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k',
];

/** Runs ffmpeg with `args` (quiet, overwriting); rejects with its stderr when it fails. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env['FFMPEG_PATH'] ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr}`))));
  });
}

const ffmpeg = (args: string[]) => runFfmpeg([...SOURCE_ARGS, ...args]);

/**
 * A 60 s 640x360 H.264/AAC test clip as fMP4 HLS (`hls/index.m3u8`, 2 s segments) and as a
 * faststart mp4 (`clip.mp4`). Made once per machine into the temp dir (a rename makes the
 * cache entry appear whole, so parallel test files never see half a clip).
 */
export async function ensureClip(): Promise<string> {
  const dir = join(tmpdir(), `wp-e2e-clip-${CLIP_VERSION}`);
  if (existsSync(join(dir, 'hls', 'index.m3u8')) && existsSync(join(dir, 'clip.mp4'))) return dir;
  const work = mkdtempSync(join(tmpdir(), 'wp-e2e-clip-work-'));
  try {
    mkdirSync(join(work, 'hls'));
    await Promise.all([
      ffmpeg(['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', join(work, 'hls', 'index.m3u8')]),
      ffmpeg(['-movflags', '+faststart', join(work, 'clip.mp4')]),
    ]);
    try {
      renameSync(work, dir);
    } catch {
      // Another test file won the race: its clip is as good as ours.
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** A `seconds` long (8 by default) 640x360 H.264/AAC mp4, small enough to upload and transcode in a few seconds. */
export function makeShortClip(path: string, seconds = 8): Promise<void> {
  return runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-pix_fmt', 'yuv420p', '-g', '30',
    '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart',
    path,
  ]);
}

/** The parts of a library item these tests read. */
export interface MediaInfo {
  id: string;
  title: string;
  status: string;
  durationSec: number | null;
  hlsUrl: string | null;
  subtitles: { id: string; label: string; lang: string | null; url: string }[];
}

/**
 * Uploads `path` through REST as `name` and resolves with the item once `done` holds (ready, by
 * default), polling at most `timeoutMs`; rejects when transcoding fails or time runs out.
 */
export async function uploadMedia(
  server: string,
  path: string,
  name: string,
  { type = 'video/mp4', done = (m: MediaInfo) => m.status === 'ready', timeoutMs = 60_000 }: { type?: string; done?: (m: MediaInfo) => boolean; timeoutMs?: number } = {},
): Promise<MediaInfo> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(path)], { type }), name);
  const res = await fetch(`${server}/api/media`, { method: 'POST', body: form });
  if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
  let media = (await res.json()) as MediaInfo;
  const deadline = Date.now() + timeoutMs;
  while (!done(media)) {
    if (media.status === 'failed') throw new Error(`transcoding ${name} failed`);
    if (Date.now() > deadline) throw new Error(`${name} not done after ${timeoutMs} ms: ${JSON.stringify(media)}`);
    await new Promise((r) => setTimeout(r, 100));
    media = (await (await fetch(`${server}/api/media/${media.id}`)).json()) as MediaInfo;
  }
  return media;
}

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.ts': 'video/mp2t',
};

export interface ClipServer {
  /** Absolute URL of a file under the served dir, e.g. `url('hls/index.m3u8')`. */
  url(path: string): string;
  close(): Promise<void>;
}

/** A tiny static server on 127.0.0.1 with CORS and byte ranges, enough for <video> and hls.js. */
export function serveDir(root: string): Promise<ClipServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(path).size;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', TYPES[extname(path)] ?? 'application/octet-stream');
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    } else {
      res.writeHead(200, { 'Content-Length': size });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(path, { start, end }).pipe(res);
  };
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: (p) => `http://127.0.0.1:${port}/${p}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
