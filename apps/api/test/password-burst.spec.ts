import type { ApiError, JoinedSession } from '@watch-party/contracts';
import * as password from '../src/session/password';
import { api, type ApiInstance, startApi } from './api-instance';
import { type RedisServer, startRedis } from './redis-server';

const RIGHT = 'open sesame';
const BURST = 100;
const LIMIT = 5;

/** Deterministic Fisher-Yates, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function refusals(base: string, reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^wp_refusals_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function passwordParty(base: string): Promise<string> {
  const created = await api<JoinedSession>(base, '/api/sessions', { body: { hostName: 'Ann', password: RIGHT } });
  expect(created.status).toBe(201);
  return created.body.session.id;
}

const joinParty = (base: string, id: string, guess: string, ip?: string) =>
  api<ApiError | JoinedSession>(base, `/api/sessions/${id}/participants`, {
    body: { name: 'Eve', password: guess },
    headers: ip ? { 'X-Forwarded-For': ip } : {},
  });

describe.each([
  ['memory', false],
  ['redis', true],
])('password guesses in a concurrent burst (%s)', (_mode, withRedis) => {
  let redis: RedisServer | undefined;
  let srv: ApiInstance;
  let checks: jest.SpyInstance;
  beforeAll(async () => {
    if (withRedis) redis = await startRedis();
    srv = await startApi({ TRUST_PROXY: 'true', ...(redis ? { REDIS_URL: redis.url } : {}) });
  });
  beforeEach(() => {
    checks = jest.spyOn(password, 'verifyPassword');
  });
  afterEach(() => checks.mockRestore());
  afterAll(async () => {
    await srv.close();
    await redis?.close();
  });

  it(`runs scrypt for at most ${LIMIT} of ${BURST} simultaneous guesses; the rest get 429 before any check`, async () => {
    const id = await passwordParty(srv.url);
    const before = await refusals(srv.url, 'password_attempts');
    const guesses = shuffled([RIGHT, ...Array.from({ length: BURST - 1 }, (_, i) => `guess-${i}`)], 20240611);
    const cpu = process.cpuUsage();
    const results = await Promise.all(guesses.map((g) => joinParty(srv.url, id, g, '203.0.113.7')));
    const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;

    const statuses = results.map((r) => r.status);
    const limited = results.filter((r) => r.status === 429);
    expect(checks).toHaveBeenCalledTimes(LIMIT);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s !== 429 && s !== 401 && s !== 201)).toEqual([]);
    expect(limited).toHaveLength(BURST - LIMIT);
    for (const r of limited) {
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    }
    expect((await refusals(srv.url, 'password_attempts')) - before).toBe(BURST - LIMIT);
    // Another address has its own budget, and the party itself is unharmed.
    expect((await joinParty(srv.url, id, RIGHT, '198.51.100.9')).status).toBe(201);
    expect(checks).toHaveBeenCalledTimes(LIMIT + 1);
    console.log(`password burst (${_mode}): ${JSON.stringify(countBy(statuses))}, scrypt checks ${LIMIT}, CPU ${Math.round(cpuMs)} ms`);
  });

  it('right passwords count too: no refund reopens a slot in the middle of a burst', async () => {
    const id = await passwordParty(srv.url);
    const ip = '192.0.2.44';
    expect((await joinParty(srv.url, id, 'typo', ip)).status).toBe(401);
    for (let i = 0; i < LIMIT - 1; i++) expect((await joinParty(srv.url, id, RIGHT, ip)).status).toBe(201);
    const refused = await joinParty(srv.url, id, RIGHT, ip);
    expect(refused.status).toBe(429);
    expect(checks).toHaveBeenCalledTimes(LIMIT);
  });

  it('a client cannot buy a fresh budget by sending its own X-Forwarded-For entries (one trusted hop)', async () => {
    const id = await passwordParty(srv.url);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      // What the proxy appends (the last entry) is the address; what the client wrote before it is not.
      const res = await api<ApiError>(srv.url, `/api/sessions/${id}/participants`, {
        body: { name: 'Eve', password: 'wrong guess' },
        headers: { 'X-Forwarded-For': `198.51.100.${i}, 192.0.2.77` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429, 429, 429]);
  });

  it('a join without a password is refused without a check and without using the budget', async () => {
    const id = await passwordParty(srv.url);
    const ip = '192.0.2.45';
    for (let i = 0; i < 10; i++) {
      const res = await api<ApiError>(srv.url, `/api/sessions/${id}/participants`, {
        body: { name: 'Eve' },
        headers: { 'X-Forwarded-For': ip },
      });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('this party needs a password');
    }
    expect(checks).not.toHaveBeenCalled();
    expect((await joinParty(srv.url, id, RIGHT, ip)).status).toBe(201);
  });
});

describe('party creation limit', () => {
  let srv: ApiInstance;
  beforeAll(async () => {
    srv = await startApi({ SESSION_CREATE_PER_MIN: '3' });
  });
  afterAll(() => srv.close());

  it('refuses creations beyond the limit with 429 and counts them as session_create_rate', async () => {
    const before = await refusals(srv.url, 'session_create_rate');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api<ApiError>(srv.url, '/api/sessions', { body: { hostName: 'Ann' } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(7);
    expect(limited[0].headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await refusals(srv.url, 'session_create_rate')) - before).toBe(7);
  });
});

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
