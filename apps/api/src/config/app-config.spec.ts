import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redisUrl: null,
      mediaDir: './data/media',
      appSecret: null,
      maxUploadBytes: 4294967296,
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      corsOrigins: [],
      rtmpPort: 1935,
      sessionCreatePerMin: 30,
      transcodeConcurrency: 1,
    });
    expect(c.replicaId).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(c.dataDir).toBe('./data');
    expect(c.limits).toEqual({
      rtmpMaxConnections: 64,
      rtmpMaxConnectionsPerAddress: 8,
      rtmpPublishTimeoutMs: 10_000,
      rtmpMaxMessageBytes: 4 * 1024 * 1024,
      rtmpMaxUnfinishedBytes: 8 * 1024 * 1024,
      rtmpMaxUnfinishedBytesTotal: 128 * 1024 * 1024,
      rtmpMaxChunkStreams: 32,
      liveMaxKbps: 12_000,
      uploadsPerHour: 20,
      uploadIdleTimeoutMs: 30_000,
      subtitleMaxBytes: 2 * 1024 * 1024,
      maxMediaSeconds: 21_600,
      maxVideoSidePx: 4096,
      maxVideoFps: 120,
      transcodeTimeoutMinSec: 600,
      transcodeTimeoutFactor: 3,
      maxSocketsPerAddress: 50,
      socketPingIntervalMs: 4000,
      socketPingTimeoutMs: 4000,
      scryptConcurrency: 1,
    });
  });

  it('reads TRUST_PROXY as a number of trusted hops', () => {
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY/);
  });

  it('reads the ownership settings', () => {
    expect(loadConfig({})).toMatchObject({ adminToken: null, publishPolicy: 'open', mediaQuotaBytes: null, metricsToken: null });
    const c = loadConfig({ ADMIN_TOKEN: 'a'.repeat(32), PUBLISH_POLICY: 'admin', MEDIA_QUOTA_BYTES: '1000', METRICS_TOKEN: 'm'.repeat(16) });
    expect(c).toMatchObject({ adminToken: 'a'.repeat(32), publishPolicy: 'admin', mediaQuotaBytes: 1000, metricsToken: 'm'.repeat(16) });
    expect(() => loadConfig({ ADMIN_TOKEN: 'a'.repeat(31) })).toThrow(/ADMIN_TOKEN: must be at least 32 characters/);
    expect(() => loadConfig({ PUBLISH_POLICY: 'closed' })).toThrow(/PUBLISH_POLICY/);
  });

  it('reads STORE: sqlite by default, memory on request', () => {
    expect(loadConfig({}).store).toBe('sqlite');
    expect(loadConfig({ STORE: 'memory' }).store).toBe('memory');
    expect(() => loadConfig({ STORE: 'postgres' })).toThrow(/STORE: must be sqlite or memory/);
  });

  it('puts MEDIA_DIR under DATA_DIR unless it is given', () => {
    expect(loadConfig({ DATA_DIR: '/srv/wp/' }).mediaDir).toBe('/srv/wp/media');
    expect(loadConfig({ DATA_DIR: '/srv/wp', MEDIA_DIR: '/mnt/media' }).mediaDir).toBe('/mnt/media');
  });

  it('reads MEDIA_ACCEL_REDIRECT as an internal URI prefix, off by default', () => {
    expect(loadConfig({}).mediaAccelRedirect).toBeNull();
    expect(loadConfig({ MEDIA_ACCEL_REDIRECT: '/_media/' }).mediaAccelRedirect).toBe('/_media/');
    expect(loadConfig({ MEDIA_ACCEL_REDIRECT: '/internal/media/' }).mediaAccelRedirect).toBe('/internal/media/');
    for (const bad of ['_media/', '/_media', '/a/../b/', '/./', 'http://x/', '/a b/', '//']) {
      expect(() => loadConfig({ MEDIA_ACCEL_REDIRECT: bad })).toThrow(/MEDIA_ACCEL_REDIRECT: must/);
    }
  });

  it('reads MEDIA_ACCEL_DECISION_SEC, 3 s by default, within 0..60', () => {
    expect(loadConfig({}).mediaAccelDecisionSec).toBe(3);
    expect(loadConfig({ MEDIA_ACCEL_DECISION_SEC: '0' }).mediaAccelDecisionSec).toBe(0);
    expect(loadConfig({ MEDIA_ACCEL_DECISION_SEC: '60' }).mediaAccelDecisionSec).toBe(60);
    for (const bad of ['61', '-1', '2.5', '3s']) {
      expect(() => loadConfig({ MEDIA_ACCEL_DECISION_SEC: bad })).toThrow(/MEDIA_ACCEL_DECISION_SEC:/);
    }
  });

  it('reads FILE_READ_CHUNK_BYTES, 1 MiB by default, within 4 KiB..64 MiB', () => {
    expect(loadConfig({}).fileReadChunkBytes).toBe(1024 * 1024);
    expect(loadConfig({ FILE_READ_CHUNK_BYTES: '65536' }).fileReadChunkBytes).toBe(65536);
    expect(loadConfig({ FILE_READ_CHUNK_BYTES: '4096' }).fileReadChunkBytes).toBe(4096);
    for (const bad of ['4095', String(64 * 1024 * 1024 + 1), '1MiB', '-1']) {
      expect(() => loadConfig({ FILE_READ_CHUNK_BYTES: bad })).toThrow(/FILE_READ_CHUNK_BYTES:/);
    }
  });

  it('reads every abuse limit from the environment', () => {
    const c = loadConfig({ RTMP_MAX_CONNECTIONS: '3', UPLOADS_PER_HOUR: '2', MAX_SOCKETS_PER_ADDRESS: '7', LIVE_MAX_KBPS: '500' });
    expect(c.limits).toMatchObject({ rtmpMaxConnections: 3, uploadsPerHour: 2, maxSocketsPerAddress: 7, liveMaxKbps: 500 });
  });

  it('parses every variable', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://cache:6379',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      MAX_UPLOAD_BYTES: '1024',
      TRUST_PROXY: 'true',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redisUrl: 'redis://cache:6379',
      corsOrigins: ['https://a.example', 'https://b.example'],
      maxUploadBytes: 1024,
      trustProxy: 1,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://x'],
    ['APP_SECRET', 'short'],
    ['CORS_ORIGINS', 'not a url'],
    ['SESSION_CREATE_PER_MIN', '-1'],
    ['TRUST_PROXY', 'maybe'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
