import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

describe('starting the built server', () => {
  it('stops at once with a message naming a bad variable', () => {
    const main = resolve(__dirname, '../../../dist/apps/api/main.js');
    const r = spawnSync(process.execPath, [main], {
      env: { ...process.env, PORT: 'abc' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PORT: must be a whole number/);
  });
});
