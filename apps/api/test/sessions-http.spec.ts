import type { ApiError, JoinedSession, SessionInfo } from '@watch-party/contracts';
import { api, type ApiInstance, startApi } from './api-instance';

interface OpenApiOperation {
  requestBody: { content: Record<string, { schema: { required: string[]; properties: Record<string, unknown> } }> };
}

describe('sessions over HTTP (single process, in-memory)', () => {
  let srv: ApiInstance;
  beforeAll(async () => {
    srv = await startApi();
  });
  afterAll(() => srv.close());

  const create = (body: unknown) => api<JoinedSession>(srv.url, '/api/sessions', { body });

  it('creates a party, returns it publicly, and lets a second person join', async () => {
    const created = await create({ hostName: '  Ann ', name: 'Friday film', controlPolicy: 'everyone' });
    expect(created.status).toBe(201);
    expect(created.body.session).toMatchObject({
      name: 'Friday film',
      hasPassword: false,
      controlPolicy: 'everyone',
      participantCount: 1,
      source: null,
    });
    expect(created.body.session.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(created.body.participantId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(created.body.token.split('.')).toHaveLength(3);

    const id = created.body.session.id;
    const info = await api<SessionInfo>(srv.url, `/api/sessions/${id}`);
    expect(info.status).toBe(200);
    expect(info.body).toEqual(created.body.session);

    const joined = await api<JoinedSession>(srv.url, `/api/sessions/${id}/participants`, { body: { name: 'Bo' } });
    expect(joined.status).toBe(201);
    expect(joined.body.session.participantCount).toBe(2);
    expect(joined.body.participantId).not.toBe(created.body.participantId);
  });

  it.each([
    [{ hostName: '' }, 'hostName'],
    [{ hostName: 'x'.repeat(33) }, 'hostName'],
    [{}, 'hostName'],
    [{ hostName: 'Ann', password: 'abc' }, 'password'],
    [{ hostName: 'Ann', name: 'n'.repeat(81) }, 'name'],
    [{ hostName: 'Ann', controlPolicy: 'anyone' }, 'controlPolicy'],
    [{ hostName: 'Ann', source: { kind: 'url', url: 'ftp://x.test/a.mp4' } }, 'source'],
    [{ hostName: 'Ann', extra: 1 }, 'extra'],
  ])('rejects %j with 400 naming %s', async (body, field) => {
    const res = await api<ApiError>(srv.url, '/api/sessions', { body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.message).toContain(field);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const bad = await api<ApiError>(srv.url, '/api/sessions', { raw: '{"hostName":' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/JSON/);
    const big = await api<ApiError>(srv.url, '/api/sessions', {
      body: { hostName: 'Ann', name: 'x'.repeat(17 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('answers unknown and malformed party ids with 404', async () => {
    for (const id of ['AAAAAAAAAAAAAAAA', 'nope', '..%2F..%2Fetc']) {
      const res = await api<ApiError>(srv.url, `/api/sessions/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('party not found');
      const join = await api<ApiError>(srv.url, `/api/sessions/${id}/participants`, { body: { name: 'Bo' } });
      expect(join.status).toBe(404);
    }
  });

  it('serves the OpenAPI document built from the contract schemas', async () => {
    const res = await api<{ openapi: string; paths: Record<string, Record<string, OpenApiOperation>> }>(srv.url, '/api/docs');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const schema = res.body.paths['/sessions']?.['post']?.requestBody.content['application/json'].schema;
    expect(schema?.required).toEqual(['hostName']);
    expect(schema?.properties['hostName']).toMatchObject({ minLength: 1, maxLength: 32 });
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/media', '/media/{id}/file', '/live', '/live/{id}/hls/index.m3u8']));
  });

  it('documents every route the server has (a route missing from the OpenAPI document fails here)', async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>(srv.url, '/api/docs');
    interface Layer {
      route?: { path: string; methods: Record<string, boolean> };
    }
    const express = srv.app.getHttpAdapter().getInstance() as unknown as { router: { stack: Layer[] } };
    const routes = express.router.stack
      .filter((l): l is Required<Layer> => l.route !== undefined && l.route.path.startsWith('/api/'))
      .flatMap((l) => Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route.path.slice(4).replace(/:(\w+)/g, '{$1}')}`))
      .filter((r) => r !== 'GET /docs');
    expect(routes.length).toBeGreaterThan(15);
    const documented = Object.entries(doc.body.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('answers health and sends security headers', async () => {
    const res = await api(srv.url, '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', transcoding: 'available' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const ready = await api(srv.url, '/api/health/ready');
    expect(ready.status).toBe(200);
  });
});

describe('passwords and rate limits', () => {
  let srv: ApiInstance;
  beforeAll(async () => {
    srv = await startApi({ SESSION_CREATE_PER_MIN: '3' });
  });
  afterAll(() => srv.close());

  it('protects a party with a password and limits wrong guesses to 5 a minute', async () => {
    const created = await api<JoinedSession>(srv.url, '/api/sessions', { body: { hostName: 'Ann', password: 'open sesame' } });
    expect(created.status).toBe(201);
    expect(created.body.session.hasPassword).toBe(true);
    const id = created.body.session.id;
    const join = (password?: string) =>
      api<ApiError>(srv.url, `/api/sessions/${id}/participants`, { body: { name: 'Eve', password } });

    expect((await join()).status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const res = await join(`guess-${i}`);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('wrong password');
    }
    const limited = await join('open sesame');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Nothing was stored for the refused requests.
    const info = await api<SessionInfo>(srv.url, `/api/sessions/${id}`);
    expect(info.body.participantCount).toBe(1);
  });

  it('limits party creation per address', async () => {
    // One creation was used by the test above; the budget is 3 a minute.
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await api(srv.url, '/api/sessions', { body: { hostName: 'Ann' } })).status);
    expect(results).toEqual([201, 201, 429]);
  });

  it('accepts the right password before the limit', async () => {
    const srv2 = await startApi();
    try {
      const created = await api<JoinedSession>(srv2.url, '/api/sessions', { body: { hostName: 'Ann', password: 'open sesame' } });
      const res = await api<JoinedSession>(srv2.url, `/api/sessions/${created.body.session.id}/participants`, {
        body: { name: 'Bo', password: 'open sesame' },
      });
      expect(res.status).toBe(201);
      expect(res.body.session.participantCount).toBe(2);
    } finally {
      await srv2.close();
    }
  });
});
