import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiInstance, startApi } from './api-instance';
import { freePort } from './free-port';
import { createShow, getShow, waitForShow } from './live-helpers';
import { type RedisServer, startRedis } from './redis-server';

const GRACE_MS = 5000;

/** The GStreamer pieces the publisher below uses, and the Debian package each comes from. */
const GST_ELEMENTS: [element: string, aptPackage: string][] = [
  ['videotestsrc', 'gstreamer1.0-plugins-base'],
  ['audiotestsrc', 'gstreamer1.0-plugins-base'],
  ['audioconvert', 'gstreamer1.0-plugins-base'],
  ['x264enc', 'gstreamer1.0-plugins-ugly'],
  ['h264parse', 'gstreamer1.0-plugins-bad'],
  ['aacparse', 'gstreamer1.0-plugins-good'],
  ['flvmux', 'gstreamer1.0-plugins-good'],
  ['rtmp2sink', 'gstreamer1.0-plugins-bad'],
];
/** AAC encoders, in order of preference: the first one installed is used. */
const AAC_ENCODERS: [element: string, aptPackage: string][] = [
  ['avenc_aac', 'gstreamer1.0-libav'],
  ['voaacenc', 'gstreamer1.0-plugins-bad'],
  ['fdkaacenc', 'gstreamer1.0-plugins-bad'],
];

const hasElement = (element: string) => spawnSync('gst-inspect-1.0', ['--exists', element]).status === 0;

/** Throws, naming the apt packages to install, unless gst-launch-1.0 and every element are there; returns the AAC encoder. */
function requireGstreamer(): string {
  const tools = spawnSync('gst-launch-1.0', ['--version']);
  const inspect = spawnSync('gst-inspect-1.0', ['--version']);
  if (tools.error || tools.status !== 0 || inspect.error || inspect.status !== 0) {
    throw new Error('gst-launch-1.0 / gst-inspect-1.0 are not installed: apt-get install gstreamer1.0-tools');
  }
  const missing = GST_ELEMENTS.filter(([e]) => !hasElement(e));
  const aac = AAC_ENCODERS.find(([e]) => hasElement(e));
  if (!aac) missing.push(AAC_ENCODERS[0]);
  if (missing.length > 0) {
    throw new Error(
      `GStreamer elements missing: ${missing.map(([e]) => e).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
    );
  }
  return aac?.[0] ?? '';
}

interface GstPublisher {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** gst-launch-1.0 -e publishing a live test pattern (H.264 + AAC in FLV) with rtmp2sink. */
function publishGst(url: string, aacEncoder: string): GstPublisher {
  // prettier-ignore
  const pipeline = [
    'videotestsrc', 'is-live=true', '!', 'video/x-raw,width=640,height=360,framerate=30/1', '!',
    'x264enc', 'tune=zerolatency', 'key-int-max=30', 'bitrate=1000', '!', 'h264parse', '!',
    'flvmux', 'name=m', 'streamable=true', '!', 'rtmp2sink', `location=${url}`,
    'audiotestsrc', 'is-live=true', '!', 'audioconvert', '!', aacEncoder, '!', 'aacparse', '!', 'm.',
  ];
  const child = spawn('gst-launch-1.0', ['-e', ...pipeline], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, output: () => output, exited };
}

/** Resolves with `p`, or rejects after `ms` naming `what`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms))),
  ]);
}

describe('live shows: GStreamer rtmp2sink publishes and stops cleanly (real redis-server, gst-launch-1.0, ffmpeg)', () => {
  let redis: RedisServer;
  let srv: ApiInstance;
  let mediaDir: string;
  let rtmpPort: number;
  let aacEncoder: string;
  const running: GstPublisher[] = [];

  beforeAll(async () => {
    // Fails (not skips) naming the package when GStreamer is not there.
    aacEncoder = requireGstreamer();
    redis = await startRedis();
    mediaDir = mkdtempSync(join(tmpdir(), 'wp-live-gst-media-'));
    rtmpPort = await freePort();
    srv = await startApi({
      REDIS_URL: redis.url,
      APP_SECRET: 'g'.repeat(32),
      MEDIA_DIR: mediaDir,
      RTMP_PORT: String(rtmpPort),
      LIVE_PUBLISHER_GRACE_MS: String(GRACE_MS),
      LIVE_ENDED_LINGER_MS: '1000',
    });
  });
  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  });
  afterAll(async () => {
    await srv?.close();
    await redis?.close();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('goes live with HLS segments, and on Ctrl-C (-e: EOS, FCUnpublish + deleteStream) gst-launch exits 0 within 10 s, the show waiting out its grace', async () => {
    const created = await createShow(srv.url, 'GStreamer show');
    const id = created.show.id;
    const t0 = Date.now();
    const pub = publishGst(`rtmp://127.0.0.1:${rtmpPort}/live/${created.streamKey}`, aacEncoder);
    running.push(pub);

    const live = await waitForShow(srv.url, id, (s) => s.status === 'live' && s.hlsUrl !== null, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\ngst-launch-1.0 said:\n${pub.output()}`);
    });
    console.log(`rtmp2sink publish -> playable live HLS in ${Date.now() - t0} ms`);
    const res = await fetch(`${srv.url}${live.hlsUrl}`);
    expect(res.status).toBe(200);
    const playlist = await res.text();
    const segments = [...playlist.matchAll(/^(seg_\d+\.ts)$/gm)].map((m) => m[1]);
    expect(segments.length).toBeGreaterThan(0);
    const seg = await fetch(`${srv.url}/api/live/${id}/hls/${segments[0]}`);
    expect(seg.status).toBe(200);
    expect((await seg.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect(pub.child.exitCode).toBeNull(); // still publishing

    // Stop it the way a user does: Ctrl-C. With -e gst-launch sends EOS down the pipeline, and
    // rtmp2sink ends the publication (FCUnpublish + deleteStream) before closing the socket.
    const stoppedAt = Date.now();
    pub.child.kill('SIGINT');
    const result = await within(pub.exited, 10_000, 'gst-launch-1.0 stopping on SIGINT');
    console.log(`gst-launch-1.0 exited ${result.code} ${Date.now() - stoppedAt} ms after SIGINT`);
    expect({ code: result.code, signal: result.signal, output: result.output }).toMatchObject({ code: 0, signal: null });
    expect(result.output).toMatch(/EOS/);
    expect(result.output).not.toMatch(/connection closed remotely/i);
    expect(result.output).not.toMatch(/ERROR/);

    // The publisher is gone but the show is not ended by an error: it waits out its grace.
    const after = await getShow(srv.url, id);
    expect(after).toMatchObject({ status: 'live', endedAt: null });
    // ... and ends (with a recording) once the grace is over.
    const ended = await waitForShow(srv.url, id, (s) => s.status === 'ended' && !!s.recordingMediaId, GRACE_MS + 20_000);
    expect(ended.hlsUrl).toBeNull();
  }, 60_000);
});
