import { DOCUMENT, InjectionToken, inject } from '@angular/core';

/** A link gets this long to show it is a video before the picker refuses it. */
export const PROBE_TIMEOUT_MS = 5000;

export type ProbeFailure = 'http' | 'not-video' | 'timeout' | 'unreachable';

export type ProbeResult =
  | { ok: true; kind: 'hls' | 'file'; title: string }
  | { ok: false; reason: ProbeFailure; message: string };

export type LinkProber = (url: string) => Promise<ProbeResult>;

/** The small part of hls.js the probe uses (a fake in unit specs). */
export interface HlsProbeLoader {
  /** Resolves true once a manifest parsed, false on a fatal error; null when this browser can't use hls.js. */
  (url: string, signal: AbortSignal): Promise<boolean | null>;
}

export interface LinkProbeDeps {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  createVideo: () => HTMLVideoElement;
  hls: HlsProbeLoader;
  timeoutMs?: number;
}

const PREFIX = "This link didn't load as a video";

function refuse(reason: ProbeFailure, detail: string): ProbeResult {
  return { ok: false, reason, message: `${PREFIX}: ${detail}` };
}

const STATUS_TEXT: Record<number, string> = {
  401: 'the server wants a login',
  403: 'access denied',
  404: 'not found',
  410: 'gone',
  500: 'server error',
};

function httpRefusal(status: number): ProbeResult {
  const text = STATUS_TEXT[status];
  return refuse('http', text ? `${status} (${text})` : `the server answered ${status}`);
}

/** Whether a URL's path names an HLS playlist. */
export function hasHlsPath(url: string): boolean {
  try {
    return /\.m3u8$/i.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

function isHlsType(contentType: string): boolean {
  return /mpegurl/i.test(contentType);
}

/** Types that are surely not a video: refused without asking the <video>. */
function isNeverVideo(contentType: string): boolean {
  return /^(text\/(html|plain|css|javascript)|application\/(json|xml|xhtml\+xml|javascript|pdf)|image\/)/i.test(contentType.trim());
}

const GENERIC_NAMES = /^(index|master|playlist|manifest|file|video|stream|media|chunklist)(\.[a-z0-9]+)?$/i;

/**
 * A readable title for a link: its file name ("Big Buck Bunny.mp4" from
 * `.../Big%20Buck%20Bunny.mp4`), or its host when the name says nothing
 * (`index.m3u8`, `/api/media/:id/file`).
 */
export function titleForUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, 120);
  }
  const last = parsed.pathname.split('/').filter(Boolean).at(-1) ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // a broken escape: keep it as it is
  }
  name = name.trim();
  const title = name !== '' && !GENERIC_NAMES.test(name) ? name : parsed.host;
  return title.slice(0, 120);
}

/** The <video> way: accept on loadedmetadata with a duration (finite or live) and a picture. */
function probeWithVideo(url: string, createVideo: () => HTMLVideoElement, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const video = createVideo();
    const done = (result: ProbeResult) => {
      video.removeEventListener('loadedmetadata', onMeta);
      video.removeEventListener('error', onError);
      signal.removeEventListener('abort', onAbort);
      video.removeAttribute('src');
      try {
        video.load(); // drops the connection the element opened
      } catch {
        // jsdom and old engines: nothing to release
      }
      resolve(result);
    };
    const onMeta = () => {
      const duration = video.duration;
      const hasDuration = duration === Number.POSITIVE_INFINITY || (Number.isFinite(duration) && duration > 0);
      if (!hasDuration) return done(refuse('not-video', 'it has no length'));
      if (!(video.videoWidth > 0 && video.videoHeight > 0)) return done(refuse('not-video', 'there is no picture (audio only?)'));
      done({ ok: true, kind: 'file', title: titleForUrl(url) });
    };
    const onError = () => {
      const code = video.error?.code;
      // 2: MEDIA_ERR_NETWORK. 3 (decode) and 4 (not supported) mean the bytes are not a video we can play.
      done(code === 2 ? refuse('unreachable', "couldn't download it") : refuse('not-video', 'not a video this browser can play'));
    };
    const onAbort = () => done(refuse('timeout', 'timed out'));
    video.addEventListener('loadedmetadata', onMeta);
    video.addEventListener('error', onError);
    signal.addEventListener('abort', onAbort);
    video.muted = true;
    video.preload = 'metadata';
    video.src = url;
  });
}

async function probeHlsWithLibrary(url: string, hls: HlsProbeLoader, signal: AbortSignal): Promise<ProbeResult> {
  const parsed = await hls(url, signal);
  if (signal.aborted) return refuse('timeout', 'timed out');
  if (parsed === null) return refuse('unreachable', "this browser can't play HLS streams");
  return parsed
    ? { ok: true, kind: 'hls', title: titleForUrl(url) }
    : refuse('unreachable', "couldn't load the playlist (the server may not allow this site: CORS)");
}

async function probeLinkWithin(url: string, deps: LinkProbeDeps, signal: AbortSignal): Promise<ProbeResult> {
  const hlsPath = hasHlsPath(url);
  let response: Response | null = null;
  const request = new AbortController();
  const stop = () => request.abort();
  signal.addEventListener('abort', stop);
  try {
    try {
      // A few bytes are enough to see the status, the type and a playlist's first line.
      response = await deps.fetch(url, {
        headers: { range: 'bytes=0-4095' },
        credentials: 'omit',
        cache: 'no-store',
        signal: request.signal,
      });
    } catch {
      if (signal.aborted) return refuse('timeout', 'timed out');
      // Blocked by CORS, or unreachable: the player elements may still load it (no CORS for <video>).
      response = null;
    }
    if (response) {
      if (!response.ok) return httpRefusal(response.status);
      const type = response.headers.get('content-type') ?? '';
      if (hlsPath || isHlsType(type)) {
        let text = '';
        try {
          text = await response.text();
        } catch {
          if (signal.aborted) return refuse('timeout', 'timed out');
        }
        return text.trimStart().startsWith('#EXTM3U')
          ? { ok: true, kind: 'hls', title: titleForUrl(url) }
          : refuse('not-video', 'not an HLS playlist');
      }
      if (isNeverVideo(type)) return refuse('not-video', `not a video (${type.split(';')[0].trim()})`);
      // Headers seen; the <video> reads what it needs itself.
      stop();
    } else if (hlsPath) {
      return await probeHlsWithLibrary(url, deps.hls, signal);
    }
    return await probeWithVideo(url, deps.createVideo, signal);
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
  }
}

/**
 * Checks in this browser that a link plays before anyone is sent to it: HLS when the path
 * ends `.m3u8` or the server says mpegurl (the playlist must start `#EXTM3U`; hls.js is tried
 * when fetch is blocked), else the metadata of a detached, muted `<video>`. Never rejects;
 * gives up after `timeoutMs` (5 s).
 */
export async function probeLink(url: string, deps: LinkProbeDeps): Promise<ProbeResult> {
  const timeoutMs = deps.timeoutMs ?? PROBE_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(refuse('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      probeLinkWithin(url, deps, controller.signal).catch(() => refuse('unreachable', "couldn't check it")),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** hls.js into a detached video, loaded on demand like the player does. */
function hlsLoader(document: Document): HlsProbeLoader {
  return async (url, signal) => {
    const Hls = (await import('hls.js')).default;
    if (!Hls.isSupported()) return null;
    return new Promise<boolean>((resolve) => {
      const hls = new Hls({ enableWorker: false, autoStartLoad: false });
      const finish = (ok: boolean) => {
        signal.removeEventListener('abort', onAbort);
        hls.destroy();
        resolve(ok);
      };
      const onAbort = () => finish(false);
      signal.addEventListener('abort', onAbort);
      hls.on(Hls.Events.MANIFEST_PARSED, () => finish(true));
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) finish(false);
      });
      hls.attachMedia(document.createElement('video'));
      hls.loadSource(url);
    });
  };
}

/** The probe the source picker uses; replaced in tests. */
export const LINK_PROBE = new InjectionToken<LinkProber>('LINK_PROBE', {
  providedIn: 'root',
  factory: () => {
    const document = inject(DOCUMENT);
    const deps: LinkProbeDeps = {
      fetch: (url, init) => fetch(url, init),
      createVideo: () => document.createElement('video'),
      hls: hlsLoader(document),
    };
    return (url) => probeLink(url, deps);
  },
});
