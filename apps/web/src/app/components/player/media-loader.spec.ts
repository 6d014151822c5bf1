import { MediaLoader, NOT_PLAYABLE, isHlsUrl } from './media-loader';

/** Just enough of hls.js: records what it was asked to load and lets a test fire its events. */
class FakeHls {
  static instances: FakeHls[] = [];
  static supported = true;
  static isSupported = () => FakeHls.supported;
  static Events = { MANIFEST_PARSED: 'manifestParsed', LEVEL_SWITCHED: 'levelSwitched', ERROR: 'error' };
  static ErrorTypes = { MEDIA_ERROR: 'mediaError', NETWORK_ERROR: 'networkError', OTHER_ERROR: 'otherError' };
  readonly handlers = new Map<string, (event: string, data: unknown) => void>();
  source: string | null = null;
  destroyed = false;
  constructor() {
    FakeHls.instances.push(this);
  }
  on(event: string, handler: (event: string, data: unknown) => void) {
    this.handlers.set(event, handler);
  }
  attachMedia() {
    /* nothing to attach in jsdom */
  }
  loadSource(url: string) {
    this.source = url;
  }
  recoverMediaError() {
    /* counted by the loader */
  }
  destroy() {
    this.destroyed = true;
  }
  fire(event: string, data: unknown) {
    this.handlers.get(event)?.(event, data);
  }
}

jest.mock('hls.js', () => ({ __esModule: true, default: FakeHls }));

/** A <video> whose `error` a test sets before dispatching the event, as the element would. */
function fakeVideo(): HTMLVideoElement & { fail(code: number): void } {
  const video = document.createElement('video') as HTMLVideoElement & { fail(code: number): void };
  let error: { code: number } | null = null;
  Object.defineProperty(video, 'error', { get: () => error });
  video.load = () => undefined;
  video.fail = (code: number) => {
    error = { code };
    video.dispatchEvent(new Event('error'));
  };
  return video;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('MediaLoader', () => {
  let failures: string[];
  let video: ReturnType<typeof fakeVideo>;
  let loader: MediaLoader;

  beforeEach(() => {
    FakeHls.instances = [];
    FakeHls.supported = true;
    failures = [];
    video = fakeVideo();
    loader = new MediaLoader(video, { levels: () => undefined, levelSwitched: () => undefined, failed: (m) => failures.push(m) });
  });

  it('knows HLS by the .m3u8 path, whatever the query says', () => {
    expect(isHlsUrl('https://cdn.test/a/index.M3U8?token=1')).toBe(true);
    expect(isHlsUrl('https://cdn.test/a.mp4?x=.m3u8')).toBe(false);
    expect(isHlsUrl('not a url at all %%')).toBe(false);
  });

  it('plays a file natively and says so once when the element cannot play it (e.g. a broken link)', async () => {
    await loader.load('https://cdn.test/movie.mp4');
    expect(video.getAttribute('src')).toBe('https://cdn.test/movie.mp4');
    video.fail(2); // MEDIA_ERR_NETWORK
    await flush();
    expect(failures).toEqual([NOT_PLAYABLE]);
    expect(FakeHls.instances).toHaveLength(0);
  });

  it('gives hls.js one try on a link without .m3u8 that the element cannot use (HLS known by its content type)', async () => {
    await loader.load('https://cdn.test/stream?id=7');
    video.fail(4); // MEDIA_ERR_SRC_NOT_SUPPORTED
    await flush();
    expect(FakeHls.instances).toHaveLength(1);
    expect(FakeHls.instances[0].source).toBe('https://cdn.test/stream?id=7');
    expect(failures).toEqual([]);
    // It is not HLS either: one clear message, not hls.js's network wording.
    FakeHls.instances[0].fire('error', { fatal: true, type: 'networkError' });
    expect(failures).toEqual([NOT_PLAYABLE]);
  });

  it('ignores an error of a source it has since replaced', async () => {
    await loader.load('https://cdn.test/old.mp4');
    await loader.load('https://cdn.test/new.m3u8');
    video.fail(4);
    await flush();
    expect(FakeHls.instances).toHaveLength(1);
    expect(FakeHls.instances[0].source).toBe('https://cdn.test/new.m3u8');
    expect(failures).toEqual([]);
  });

  it('reports hls.js network failures of a real HLS link with the CORS hint, and recovers media errors twice first', async () => {
    await loader.load('https://cdn.test/live/index.m3u8');
    const hls = FakeHls.instances[0];
    hls.fire('error', { fatal: true, type: 'mediaError' });
    hls.fire('error', { fatal: true, type: 'mediaError' });
    expect(failures).toEqual([]);
    hls.fire('error', { fatal: true, type: 'mediaError' });
    expect(failures).toEqual(["This video can't be played."]);
    await loader.load('https://cdn.test/other/index.m3u8');
    FakeHls.instances[1].fire('error', { fatal: true, type: 'networkError' });
    expect(failures[1]).toContain('CORS');
  });
});
