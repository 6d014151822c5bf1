import { type HlsProbeLoader, type LinkProbeDeps, PROBE_TIMEOUT_MS, probeLink, titleForUrl } from './link-probe';

/** A detached <video> stand-in: the test fires loadedmetadata or error. */
class FakeVideo extends EventTarget {
  src = '';
  muted = false;
  preload = '';
  duration = Number.NaN;
  videoWidth = 0;
  videoHeight = 0;
  error: { code: number } | null = null;
  loads = 0;
  removeAttribute(name: string): void {
    if (name === 'src') this.src = '';
  }
  load(): void {
    this.loads++;
  }
  meta(duration: number, width = 640, height = 360): void {
    this.duration = duration;
    this.videoWidth = width;
    this.videoHeight = height;
    this.dispatchEvent(new Event('loadedmetadata'));
  }
  fail(code: number): void {
    this.error = { code };
    this.dispatchEvent(new Event('error'));
  }
}

function response(status: number, type: string, body = ''): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: new Headers(type ? { 'content-type': type } : {}),
    text: () => Promise.resolve(body),
  } as Response;
}

describe('probeLink', () => {
  let videos: FakeVideo[];
  let fetchMock: jest.Mock<Promise<Response>, [string, RequestInit]>;
  let hls: jest.Mock<ReturnType<HlsProbeLoader>, Parameters<HlsProbeLoader>>;
  let deps: LinkProbeDeps;
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  beforeEach(() => {
    videos = [];
    fetchMock = jest.fn();
    hls = jest.fn();
    deps = {
      fetch: fetchMock,
      createVideo: () => {
        const video = new FakeVideo();
        videos.push(video);
        return video as unknown as HTMLVideoElement;
      },
      hls,
    };
  });

  afterEach(() => jest.useRealTimers());

  it('accepts a file with a duration and a picture (no extension needed), muted and metadata only', async () => {
    fetchMock.mockResolvedValue(response(206, 'video/mp4'));
    const result = probeLink('http://127.0.0.1:3000/api/media/abc/file', deps);
    await flush();
    expect(fetchMock.mock.calls[0][1].headers).toEqual({ range: 'bytes=0-4095' });
    expect(videos[0].muted).toBe(true);
    expect(videos[0].preload).toBe('metadata');
    expect(videos[0].src).toBe('http://127.0.0.1:3000/api/media/abc/file');
    videos[0].meta(12.5);
    await expect(result).resolves.toEqual({ ok: true, kind: 'file', title: '127.0.0.1:3000' });
    expect(videos[0].src).toBe(''); // released
  });

  it('accepts a live stream (infinite duration)', async () => {
    fetchMock.mockResolvedValue(response(200, 'application/octet-stream'));
    const result = probeLink('https://example.com/cam.webm', deps);
    await flush();
    videos[0].meta(Number.POSITIVE_INFINITY);
    await expect(result).resolves.toMatchObject({ ok: true, title: 'cam.webm' });
  });

  it('refuses audio without a picture', async () => {
    fetchMock.mockResolvedValue(response(200, 'audio/mpeg'));
    const result = probeLink('https://example.com/song.mp3', deps);
    await flush();
    videos[0].meta(180, 0, 0);
    await expect(result).resolves.toMatchObject({ ok: false, reason: 'not-video' });
  });

  it('refuses a 404 with its status, without a <video>', async () => {
    fetchMock.mockResolvedValue(response(404, 'application/json'));
    await expect(probeLink('https://example.com/gone.mp4', deps)).resolves.toEqual({
      ok: false,
      reason: 'http',
      message: "This link didn't load as a video: 404 (not found)",
    });
    expect(videos).toHaveLength(0);
  });

  it('refuses an HTML page as not a video', async () => {
    fetchMock.mockResolvedValue(response(200, 'text/html; charset=utf-8', '<!doctype html>'));
    const result = await probeLink('https://example.com/watch', deps);
    expect(result).toMatchObject({ ok: false, reason: 'not-video' });
    expect(!result.ok && result.message).toBe("This link didn't load as a video: not a video (text/html)");
  });

  it('refuses what the <video> cannot decode', async () => {
    fetchMock.mockResolvedValue(response(200, ''));
    const result = probeLink('https://example.com/blob', deps);
    await flush();
    videos[0].fail(4);
    await expect(result).resolves.toMatchObject({ ok: false, reason: 'not-video' });
  });

  it('checks an HLS playlist by its first line (path .m3u8 or an mpegurl type)', async () => {
    fetchMock.mockResolvedValueOnce(response(200, 'application/vnd.apple.mpegurl', '#EXTM3U\n#EXT-X-VERSION:7\n'));
    await expect(probeLink('https://cdn.example.com/show/master.m3u8', deps)).resolves.toEqual({
      ok: true,
      kind: 'hls',
      title: 'cdn.example.com',
    });
    fetchMock.mockResolvedValueOnce(response(200, 'application/x-mpegURL', '#EXTM3U\n'));
    await expect(probeLink('https://cdn.example.com/live?id=4', deps)).resolves.toMatchObject({ ok: true, kind: 'hls' });
    fetchMock.mockResolvedValueOnce(response(200, 'text/plain', 'hello'));
    await expect(probeLink('https://cdn.example.com/fake.m3u8', deps)).resolves.toMatchObject({
      ok: false,
      message: "This link didn't load as a video: not an HLS playlist",
    });
    expect(videos).toHaveLength(0);
  });

  it('tries hls.js when fetch is blocked (CORS) for a .m3u8 link', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    hls.mockResolvedValueOnce(true).mockResolvedValueOnce(false);
    await expect(probeLink('https://other.example/a.m3u8', deps)).resolves.toMatchObject({ ok: true, kind: 'hls' });
    await expect(probeLink('https://other.example/b.m3u8', deps)).resolves.toMatchObject({ ok: false, reason: 'unreachable' });
    expect(hls).toHaveBeenCalledTimes(2);
  });

  it('falls back to the <video> when fetch is blocked for a file', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const result = probeLink('https://other.example/movie.mp4', deps);
    await flush();
    videos[0].meta(60);
    await expect(result).resolves.toMatchObject({ ok: true, kind: 'file', title: 'movie.mp4' });
  });

  it('gives up after 5 s and releases the <video>', async () => {
    jest.useFakeTimers();
    fetchMock.mockResolvedValue(response(200, 'video/mp4'));
    let settled: unknown = null;
    void probeLink('https://slow.example/movie.mp4', deps).then((r) => (settled = r));
    await flush();
    expect(videos).toHaveLength(1);
    jest.advanceTimersByTime(PROBE_TIMEOUT_MS - 1);
    await flush();
    expect(settled).toBeNull();
    jest.advanceTimersByTime(1);
    await flush();
    expect(settled).toEqual({ ok: false, reason: 'timeout', message: "This link didn't load as a video: timed out after 5 s" });
    expect(videos[0].src).toBe('');
  });

  it('times out a fetch that never answers', async () => {
    jest.useFakeTimers();
    fetchMock.mockImplementation((_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))));
    const result = probeLink('https://hang.example/x.mp4', deps);
    jest.advanceTimersByTime(PROBE_TIMEOUT_MS);
    await expect(result).resolves.toMatchObject({ ok: false, reason: 'timeout' });
  });
});

describe('titleForUrl', () => {
  it.each([
    ['https://x.org/films/Big%20Buck%20Bunny.mp4', 'Big Buck Bunny.mp4'],
    ['https://x.org/hls/index.m3u8', 'x.org'],
    ['http://127.0.0.1:3000/api/media/abc/file', '127.0.0.1:3000'],
    ['https://x.org/', 'x.org'],
    ['https://x.org/bad%E0%A4%A', 'bad%E0%A4%A'],
  ])('%s -> %s', (url, title) => {
    expect(titleForUrl(url)).toBe(title);
  });
});
