import type { JoinedSession } from '@watch-party/contracts';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type ApiInstance, startApi } from './api-instance';

describe('STORE=memory: a volatile single process (demos, tests, benchmarks)', () => {
  let dir: string;
  let srv: ApiInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-volatile-'));
    srv = await startApi({ STORE: 'memory', DATA_DIR: dir });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves parties, live shows and the admin check without writing a database', async () => {
    const created = await api<JoinedSession>(srv.url, '/api/sessions', { body: { hostName: 'Ann', password: 'secret pass' } });
    expect(created.status).toBe(201);
    const joined = await api<JoinedSession>(srv.url, `/api/sessions/${created.body.session.id}/participants`, {
      body: { name: 'Bo', password: 'secret pass' },
    });
    expect(joined.status).toBe(201);
    expect((await api(srv.url, '/api/live', { body: { title: 'Show', creatorName: 'Cleo' } })).status).toBe(201);
    expect((await api(srv.url, '/api/admin/me', { headers: { Authorization: `Bearer ${'x'.repeat(43)}` } })).status).toBe(401);
    expect(existsSync(join(dir, 'watch-party.db'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('watch-party'))).toEqual([]);
  });
});
