import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DOCKER = resolve(__dirname, '../../../docker');

describe('deployment files', () => {
  it('compose.yml is valid for docker-compose', () => {
    const r = spawnSync('docker-compose', ['-f', join(DOCKER, 'compose.yml'), 'config', '--quiet'], { encoding: 'utf8' });
    if (r.error) throw new Error('docker-compose is not installed: apt-get install docker-compose');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const services = spawnSync('docker-compose', ['-f', join(DOCKER, 'compose.yml'), 'config', '--services'], { encoding: 'utf8' });
    expect(services.stdout.trim().split('\n').sort()).toEqual(['api', 'lb', 'redis']);
  });

  it('the load balancer config passes nginx -t with the compose includes', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'wp-nginx-t-'));
    try {
      mkdirSync(join(prefix, 'conf'));
      copyFileSync(join(DOCKER, 'nginx/nginx.conf'), join(prefix, 'conf/nginx.conf'));
      copyFileSync(join(DOCKER, 'nginx/listen.compose.conf'), join(prefix, 'conf/listen.conf'));
      // Debian's nginx 1.22 has no `resolve` (Docker's image does): check the rest with a plain server line.
      writeFileSync(join(prefix, 'conf/upstream.conf'), 'server 127.0.0.1:9 max_fails=1 fail_timeout=5s;\n');
      const r = spawnSync('nginx', ['-t', '-p', prefix, '-c', 'conf/nginx.conf', '-e', 'stderr'], { encoding: 'utf8' });
      expect(r.stderr).toContain('syntax is ok');
      expect(r.status).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
