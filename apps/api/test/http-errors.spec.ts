import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiInstance, startApi } from './api-instance';

const INDEX = '<!doctype html><title>watch party</title><app-root></app-root>';

describe('unknown paths answer 404 JSON, never the app page', () => {
  let srv: ApiInstance;
  let webDir: string;
  beforeAll(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'wp-errors-web-'));
    writeFileSync(join(webDir, 'index.html'), INDEX);
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'main-ABCDEFGH.js'), 'console.log(1);');
    writeFileSync(join(webDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    srv = await startApi({ WEB_DIR: webDir });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  const send = (path: string, method = 'GET', accept = 'text/html,application/xhtml+xml,*/*;q=0.8') =>
    fetch(srv.url + path, { method, headers: { accept }, redirect: 'manual' });

  async function expect404Json(path: string, method = 'GET') {
    const res = await send(path, method);
    const text = await res.text();
    expect({ path, method, status: res.status, type: res.headers.get('content-type') }).toEqual({
      path,
      method,
      status: 404,
      type: 'application/json; charset=utf-8',
    });
    if (method !== 'HEAD') {
      expect(text).not.toContain('<app-root>');
      expect(JSON.parse(text)).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    }
  }

  it.each([
    '/missing.mp4',
    '/x/y.js',
    '/favicon.ico',
    '/assets/missing.svg',
    '/watch/abc/poster.jpg',
    '/main-ABCDEFGH.js.map',
    '/.env',
    '/index.php',
  ])('GET %s (a file that does not exist) -> 404 JSON', (path) => expect404Json(path));

  it.each(['/api', '/api/', '/api/nope', '/api/sessions/abc/nope', '/api/media/x/y/z/w', '/api/health/x.json', '/metrics/x'])(
    'GET %s (no such API route) -> 404 JSON',
    (path) => expect404Json(path),
  );

  it.each([
    ['POST', '/api/nope'],
    ['PUT', '/api/sessions'],
    ['DELETE', '/api/nope/1'],
    ['PATCH', '/api/media'],
    ['HEAD', '/api/nope'],
    ['HEAD', '/missing.mp4'],
    ['OPTIONS', '/api/nope'],
  ])('%s %s -> 404 JSON', (method, path) => expect404Json(path, method));

  it.each(['/', '/watch/abc', '/live/AbCdEfGhIjKlMnOp', '/some/deep/route'])('GET %s (an app route) -> the app page', async (path) => {
    const res = await send(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(INDEX);
  });

  it('still serves the files that exist', async () => {
    const js = await send('/main-ABCDEFGH.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const svg = await send('/assets/logo.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('malformed paths answer 4xx JSON', async () => {
    for (const path of ['/api/sessions/%E0%A4%A', '/api/media/%zz/file', '/x/%ff.js', '/%zz.mp4']) {
      const res = await send(path);
      expect({ path, ok: res.status >= 400 && res.status < 500 }).toEqual({ path, ok: true });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ statusCode: res.status });
    }
  });
});
