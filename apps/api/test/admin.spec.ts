import type { ApiError, CreatedLiveShow, LiveShow } from '@watch-party/contracts';
import { loadConfig } from '../src/config/app-config';
import { RedisService } from '../src/redis/redis.service';
import { StoreService } from '../src/store/store.service';
import { api, type ApiInstance, startApi } from './api-instance';
import { type RedisServer, startRedis } from './redis-server';

const ADMIN = 'admin-token-'.padEnd(40, 'x');
const METRICS = 'metrics-token-0123456789';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('admin token, metrics token, publish policy (in-process API)', () => {
  let srv: ApiInstance;
  beforeAll(async () => {
    srv = await startApi({ ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS, PUBLISH_POLICY: 'admin' });
  });
  afterAll(() => srv.close());

  it('GET /api/admin/me: 200 with the admin token, 401 JSON without or with another', async () => {
    expect((await api(srv.url, '/api/admin/me', { headers: bearer(ADMIN) })).body).toEqual({ admin: true });
    for (const headers of [{}, bearer(`${ADMIN}y`), bearer(ADMIN.slice(0, -1)), { Authorization: ADMIN }, { Authorization: `Basic ${ADMIN}` }]) {
      const res = await api<ApiError>(srv.url, '/api/admin/me', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.statusCode).toBe(401);
    }
  });

  it('METRICS_TOKEN: /metrics is 401 JSON without it and Prometheus text with it', async () => {
    const without = await fetch(`${srv.url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await without.text()).not.toMatch(/wp_/);
    expect((await fetch(`${srv.url}/metrics`, { headers: bearer(ADMIN) })).status).toBe(401);
    const ok = await fetch(`${srv.url}/metrics`, { headers: bearer(METRICS) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toMatch(/^wp_refusals_total|wp_connected_sockets/m);
  });

  it('PUBLISH_POLICY=admin: a live show needs the admin token (401 without)', async () => {
    const body = { title: 'Night show', creatorName: 'Cleo' };
    const refused = await api<ApiError>(srv.url, '/api/live', { body });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/admin token/);
    const created = await api<CreatedLiveShow>(srv.url, '/api/live', { body, headers: bearer(ADMIN) });
    expect(created.status).toBe(201);
  });

  it('ends a live show with the admin token, or the stream key; 401 with neither, 403 with a wrong key', async () => {
    const create = () => api<CreatedLiveShow>(srv.url, '/api/live', { body: { title: 'Show', creatorName: 'Cleo' }, headers: bearer(ADMIN) });
    const a = (await create()).body;
    expect((await api(srv.url, `/api/live/${a.show.id}/end`, { body: {} })).status).toBe(401);
    expect((await api(srv.url, `/api/live/${a.show.id}/end`, { body: { streamKey: 'x'.repeat(43) } })).status).toBe(403);
    const byAdmin = await api<LiveShow>(srv.url, `/api/live/${a.show.id}/end`, { body: {}, headers: bearer(ADMIN) });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.status).toBe('ended');
    const b = (await create()).body;
    const byKey = await api<LiveShow>(srv.url, `/api/live/${b.show.id}/end`, { body: { streamKey: b.streamKey } });
    expect(byKey.body.status).toBe('ended');
  });
});

describe('PUBLISH_POLICY=open (the default)', () => {
  let srv: ApiInstance;
  beforeAll(async () => {
    srv = await startApi();
  });
  afterAll(() => srv.close());

  it('anyone may create a live show, and /metrics is public without METRICS_TOKEN', async () => {
    expect((await api(srv.url, '/api/live', { body: { title: 'Open show', creatorName: 'Cleo' } })).status).toBe(201);
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(200);
  });

  it('the generated admin token is nobody\'s: a guess is 401', async () => {
    expect((await api(srv.url, '/api/admin/me', { headers: bearer('x'.repeat(43)) })).status).toBe(401);
  });
});

describe('one generated value for a whole deployment (StoreService.sharedValue)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());

  it('with Redis: the first replica stores its value, the others read it', async () => {
    const config = loadConfig({ REDIS_URL: redis.url });
    const services = [new RedisService(config), new RedisService(config)];
    try {
      const [a, b] = services.map((r) => new StoreService(config, r));
      const first = await a.sharedValue('test-shared', 'from-a');
      const second = await b.sharedValue('test-shared', 'from-b');
      expect(first).toEqual({ value: 'from-a', created: true });
      expect(second).toEqual({ value: 'from-a', created: false });
    } finally {
      await Promise.all(services.map((s) => s.onApplicationShutdown()));
    }
  });
});
