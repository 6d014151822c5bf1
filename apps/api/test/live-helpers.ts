import type { CreatedLiveShow, LiveIngestClientEvents, LiveIngestServerEvents, LiveShow } from '@watch-party/contracts';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { api } from './api-instance';
import { testTempDir } from './clips';

export type IngestSocket = Socket<LiveIngestServerEvents, LiveIngestClientEvents> & {
  /** resolves with the `ingest:ready` payload (listened for before connecting) */
  ready?: Promise<{ showId: string }>;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createShow(base: string, title = 'Test show', creatorName = 'Cleo'): Promise<CreatedLiveShow> {
  const res = await api<CreatedLiveShow>(base, '/api/live', { body: { title, creatorName } });
  if (res.status !== 201) throw new Error(`create show failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getShow(base: string, id: string): Promise<LiveShow> {
  return (await api<LiveShow>(base, `/api/live/${id}`)).body;
}

/** Polls the show until `until` holds, or fails after `ms`. */
export async function waitForShow(base: string, id: string, until: (s: LiveShow) => boolean, ms = 15_000): Promise<LiveShow> {
  const deadline = Date.now() + ms;
  for (;;) {
    const show = await getShow(base, id);
    if (until(show)) return show;
    if (Date.now() > deadline) throw new Error(`show ${id} never reached the state: ${JSON.stringify(show)}`);
    await sleep(200);
  }
}

export interface Publisher {
  child: ChildProcess;
  /** exit code and stderr once ffmpeg is done */
  exited: Promise<{ code: number | null; stderr: string }>;
  stop(): Promise<void>;
}

/** ffmpeg publishing a generated test pattern (H.264 + AAC) over RTMP, in real time. */
export function publishRtmp(url: string, seconds = 120, o: { video?: boolean; audio?: boolean; fps?: number } = {}): Publisher {
  const video = o.video ?? true;
  const audio = o.audio ?? true;
  const fps = o.fps ?? 30;
  const child = spawn(
    'ffmpeg',
    [
      '-v', 'error', '-nostdin', '-re',
      ...(video ? ['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${fps}`] : []),
      ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
      '-t', String(seconds),
      ...(video ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', String(fps), '-pix_fmt', 'yuv420p'] : []),
      ...(audio ? ['-c:a', 'aac', '-b:a', '64k'] : []),
      '-f', 'flv', url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  return {
    child,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

/** A VP8 + Opus webm like MediaRecorder makes, as a file. */
export function makeWebm(seconds: number): string {
  const out = join(testTempDir('wp-live-'), 'camera.webm');
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '30',
    '-c:a', 'libopus', '-b:a', '48k',
    '-f', 'webm', out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make a webm: ${r.stderr?.toString()}`);
  return out;
}

/** Connects to /live-ingest; resolves once accepted, rejects with the connect_error. */
export function connectIngest(url: string, streamKey: unknown): Promise<IngestSocket> {
  const socket: IngestSocket = io(`${url}/live-ingest`, {
    auth: { streamKey, timesliceMs: 500 },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.ready = new Promise((r) => socket.once('ingest:ready', r));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Sends a file as `chunk`s at about real time (`seconds` of media). */
export async function sendPaced(socket: IngestSocket, data: Buffer, seconds: number, chunks = 24): Promise<void> {
  const size = Math.ceil(data.length / chunks);
  for (let off = 0; off < data.length && socket.connected; off += size) {
    socket.emit('chunk', data.subarray(off, off + size));
    await sleep((seconds * 1000) / chunks);
  }
}
