import type { Media } from '@watch-party/contracts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { api } from './api-instance';
import { makeClip } from './clips';
import { type Cluster, startCluster } from './cluster';

/** Pid of the API replica whose child ffmpeg is working on `mediaId`, if any. */
function transcodingReplica(mediaId: string): number | null {
  const ps = spawnSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' }).stdout.split('\n');
  const line = ps.find((l) => l.includes('ffmpeg') && l.includes(`${mediaId}/hls`));
  return line ? Number(line.trim().split(/\s+/)[1]) : null;
}

describe('transcode jobs shared by replicas (BullMQ)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  }, 60_000);
  afterAll(() => cluster?.close());

  it('a job whose replica dies mid-encode is picked up by another replica and finishes', async () => {
    const clip = makeClip({ width: 854, height: 480, seconds: 30 });
    const form = new FormData();
    form.append('file', new Blob([readFileSync(clip)]), 'crash test.mp4');
    const res = await fetch(`${cluster.url}/api/media`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Media;

    let pid: number | null = null;
    const deadline = Date.now() + 30_000;
    while (!(pid = transcodingReplica(id))) {
      if (Date.now() > deadline) throw new Error('no replica started transcoding');
      await new Promise((r) => setTimeout(r, 100));
    }
    const victim = cluster.replicas.find((r) => r.process.pid === pid);
    expect(victim).toBeDefined();
    victim?.process.kill('SIGKILL');
    await victim?.exited;
    const survivor = cluster.replicas.find((r) => r !== victim);
    if (!survivor) throw new Error('no survivor');

    // The lock of the dead worker expires and the survivor runs the job again.
    const until = Date.now() + 90_000;
    let media: Media;
    for (;;) {
      media = (await api<Media>(survivor.url, `/api/media/${id}`)).body;
      if (media.status !== 'processing' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(media.status).toBe('ready');
    expect(transcodingReplica(id)).toBeNull();
    const variant = await (await fetch(`${survivor.url}/api/media/${id}/hls/v0/index.m3u8`)).text();
    expect(variant).toContain('#EXT-X-ENDLIST');
  }, 150_000);
});
