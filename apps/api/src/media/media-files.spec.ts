import type { Request, Response } from 'express';
import { accelRelativePath, MEDIA_ACCEL_DECISION_SEC, MediaFileSender } from './media-files';

/** A strict stand-in for the few Response members the sender uses; anything else throws. */
class FakeResponse {
  statusCode = 0;
  readonly headers = new Map<string, string>();
  ended = false;
  body: string | undefined;
  getHeader(name: string) {
    return this.headers.get(name.toLowerCase());
  }
  setHeader(name: string, value: string) {
    if (this.ended) throw new Error('header after end');
    this.headers.set(name.toLowerCase(), value);
  }
  removeHeader(name: string) {
    this.headers.delete(name.toLowerCase());
  }
  end(body?: string) {
    if (this.ended) throw new Error('ended twice');
    this.ended = true;
    this.body = body;
  }
}

const asResponse = (r: FakeResponse) => new Proxy(r, {
  get(target, prop) {
    if (!(prop in target)) throw new Error(`the sender used res.${String(prop)}`);
    return target[prop as keyof FakeResponse];
  },
}) as unknown as Response;

const req = { method: 'GET', headers: {} } as Request;

describe('accelRelativePath', () => {
  it('gives the path under the root, in URI form', () => {
    expect(accelRelativePath('/data/media', '/data/media/AbC_d-9/original.mp4')).toBe('AbC_d-9/original.mp4');
    expect(accelRelativePath('/data/media', '/data/media/id/hls/v0/seg_00001.m4s')).toBe('id/hls/v0/seg_00001.m4s');
    expect(accelRelativePath('/data/media/', '/data/media/id/poster.jpg')).toBe('id/poster.jpg');
  });

  it.each([
    ['outside the root', '/data/other/x.mp4'],
    ['a sibling sharing the prefix', '/data/media-2/x.mp4'],
    ['the root itself', '/data/media'],
    ['a dot file', '/data/media/.incoming/abc.part'],
    ['an encoded dot segment', '/data/media/id/%2E%2E/x.mp4'],
    ['a character nginx would unescape', '/data/media/id/a%2Fb.mp4'],
    ['a space', '/data/media/id/a b.mp4'],
    ['a question mark', '/data/media/id/a.mp4?x=1'],
  ])('refuses %s', (_what, path) => {
    expect(accelRelativePath('/data/media', path)).toBeNull();
  });

  it('refuses whatever normalizes outside the root', () => {
    expect(accelRelativePath('/data/media', '/data/media/id/../../etc/passwd')).toBeNull();
  });
});

describe('MediaFileSender with an accel prefix', () => {
  const sender = new MediaFileSender('/data/media', '/_media/');

  it('answers 200 with X-Accel-Redirect, the Content-Type and the caching for nginx, and no body', () => {
    const res = new FakeResponse();
    sender.send(req, asResponse(res), '/data/media/id/original.mkv', 'public, max-age=3600');
    expect(res.statusCode).toBe(200);
    expect(res.ended).toBe(true);
    expect(res.body).toBeUndefined();
    expect(Object.fromEntries(res.headers)).toEqual({
      'x-accel-redirect': '/_media/id/original.mkv',
      // no type set by the route: by extension, never nginx's default
      'content-type': 'application/octet-stream',
      'x-media-cache-control': 'public, max-age=3600',
      // nginx may keep this decision for the same URI that long (media.compose.conf)
      'x-accel-expires': String(MEDIA_ACCEL_DECISION_SEC),
    });
  });

  it('says how long nginx may keep the decision: MEDIA_ACCEL_DECISION_SEC as configured, 0 for never', () => {
    for (const sec of [0, 7]) {
      const res = new FakeResponse();
      new MediaFileSender('/data/media', '/_media/', undefined, sec).send(req, asResponse(res), '/data/media/id/poster.jpg', 'no-cache');
      expect(res.headers.get('x-accel-expires')).toBe(String(sec));
    }
  });

  it('keeps the Content-Type the route set', () => {
    const res = new FakeResponse();
    res.setHeader('Content-Type', 'text/vtt; charset=utf-8');
    sender.send(req, asResponse(res), '/data/media/id/subtitles/t.vtt', 'immutable');
    expect(res.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    expect(res.headers.get('x-accel-redirect')).toBe('/_media/id/subtitles/t.vtt');
  });

  it('a path it cannot hand over is a JSON 404, without the route\'s content type', () => {
    const res = new FakeResponse();
    res.setHeader('Content-Type', 'video/mp4');
    sender.send(req, asResponse(res), '/etc/passwd', 'no-cache');
    expect(res.statusCode).toBe(404);
    expect(res.headers.get('x-accel-redirect')).toBeUndefined();
    // an error is never a decision nginx may keep
    expect(res.headers.get('x-accel-expires')).toBeUndefined();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ statusCode: 404, message: 'no such file' });
  });
});
