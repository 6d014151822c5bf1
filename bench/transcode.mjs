// Figure 4: transcode_realtime_factor and time_to_first_playable_s.
// A generated 1080p30 clip (60 s; 20 s with --quick) is uploaded to the app; GET /api/media/:id
// is polled every 100 ms from the upload response until hlsUrl is set (first playable) and until
// status is "ready" (realtime factor = clip seconds / encode seconds). Reference, same run, same
// clip: plain ffmpeg writing one 360p HLS rendition (first playable = its playlist lists a segment).
import { existsSync, openAsBlob, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, getJson, log, makeTempDir, round, sleep, startApi } from './lib/util.mjs';

async function makeSource(dir, seconds) {
  const file = join(dir, 'source-1080p.mp4');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', file,
  ]);
  return file;
}

async function appTranscode(file, seconds) {
  const api = await startApi();
  try {
    const form = new FormData();
    form.append('file', await openAsBlob(file, { type: 'video/mp4' }), 'source-1080p.mp4');
    const uploadStart = performance.now();
    const res = await fetch(`${api.url}/api/media`, { method: 'POST', body: form });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
    const t0 = performance.now();
    const media = await res.json();
    let firstPlayableS = null;
    const deadline = t0 + Math.max(600, seconds * 15) * 1000;
    for (;;) {
      const m = await getJson(`${api.url}/api/media/${media.id}`);
      const t = (performance.now() - t0) / 1000;
      if (firstPlayableS === null && m.hlsUrl) firstPlayableS = t;
      if (m.status === 'failed') throw new Error(`transcode failed: ${m.error ?? 'no reason given'}`);
      if (m.status === 'ready') {
        // the master playlist must really be there
        const master = await fetch(`${api.url}${m.hlsUrl}`);
        if (!master.ok) throw new Error(`ready but ${m.hlsUrl} answers ${master.status}`);
        return {
          firstPlayableS: firstPlayableS ?? t,
          encodeS: t,
          uploadS: (t0 - uploadStart) / 1000,
          renditions: m.renditions.map((r) => r.height),
        };
      }
      if (performance.now() > deadline) throw new Error(`not ready after ${Math.round(t)} s (progress ${m.progress})`);
      await sleep(100);
    }
  } finally {
    await api.stop();
  }
}

/** One 360p rendition, the app's segmenting settings, timed; first playable = playlist lists a segment. */
async function plainFfmpeg(file, outDir) {
  const playlist = join(outDir, 'index.m3u8');
  let firstPlayableS = null;
  let done = false;
  const t0 = performance.now();
  const watcher = (async () => {
    while (!done) {
      if (existsSync(playlist) && readFileSync(playlist, 'utf8').includes('#EXTINF')) {
        firstPlayableS = (performance.now() - t0) / 1000;
        return;
      }
      await sleep(20);
    }
  })();
  const ms = await ffmpeg([
    '-i', file,
    '-vf', 'scale=-2:360',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-b:v', '800k', '-maxrate', '856k', '-bufsize', '1200k',
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4',
    '-hls_flags', 'independent_segments+temp_file', '-hls_segment_filename', join(outDir, 'seg_%05d.m4s'),
    playlist,
  ]);
  done = true;
  await watcher;
  return { encodeS: ms / 1000, firstPlayableS: firstPlayableS ?? ms / 1000 };
}

export async function transcodeBench({ quick, emit }) {
  const seconds = quick ? 20 : 60;
  const dir = makeTempDir('transcode');
  const file = await makeSource(dir, seconds);
  const sourceBytes = statSync(file).size;
  const params = { clipSeconds: seconds, source: '1920x1080 30 fps H.264 + AAC (testsrc2 + sine)', sourceBytes, cores: 2 };

  let ref;
  try {
    ref = await plainFfmpeg(file, makeTempDir('ffmpeg-hls'));
    log(`transcode reference (plain ffmpeg, 1 x 360p): ${round(ref.encodeS)} s, first segment ${round(ref.firstPlayableS)} s`);
  } catch (err) {
    ref = { error: String(err.message ?? err) };
  }
  const refError = ref.error ? { error: `reference failed: ${ref.error}` } : {};
  try {
    const app = await appTranscode(file, seconds);
    log(`transcode app (ladder ${app.renditions.join('/')}p): ready ${round(app.encodeS)} s, playable ${round(app.firstPlayableS)} s`);
    const shared = { ...params, appRenditions: app.renditions, uploadS: round(app.uploadS), poll: '100 ms' };
    emit({
      name: 'transcode_realtime_factor',
      value: seconds / app.encodeS,
      unit: 'x realtime',
      reference: ref.error ? null : seconds / ref.encodeS,
      ...refError,
      params: {
        ...shared,
        appEncodeS: round(app.encodeS),
        referenceEncodeS: ref.error ? null : round(ref.encodeS),
        reference: 'plain ffmpeg, one 360p rendition (libx264 veryfast 800k, fMP4 HLS 2 s)',
      },
    });
    emit({
      name: 'time_to_first_playable_s',
      value: app.firstPlayableS,
      unit: 's',
      reference: ref.error ? null : ref.firstPlayableS,
      ...refError,
      params: {
        ...shared,
        from: 'upload response (app) / ffmpeg spawn (reference)',
        reference: 'plain ffmpeg 360p: time until its playlist lists the first segment',
      },
    });
  } catch (err) {
    const error = String(err.message ?? err);
    emit({ name: 'transcode_realtime_factor', value: null, unit: 'x realtime', reference: ref.error ? null : seconds / ref.encodeS, error, params });
    emit({ name: 'time_to_first_playable_s', value: null, unit: 's', reference: ref.firstPlayableS ?? null, error, params });
  }
}
