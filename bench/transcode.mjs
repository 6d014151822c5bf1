// Figure 4: transcode_realtime_factor, time_to_first_playable_s and transcode_ratio_vs_plain_ffmpeg.
// A generated 1080p30 clip (60 s; 20 s with --quick) is uploaded to the app; GET /api/media/:id
// is polled every 100 ms from the upload response until hlsUrl is set (first playable) and until
// status is "ready" (realtime factor = clip seconds / encode seconds). Reference, same run, same
// clip: ONE plain ffmpeg command producing the same renditions (the app's ladder for 1080p:
// 360p/720p/1080p, same x264 and AAC settings, same keyframes and segments, the audio encoded
// once as an HLS audio group every rung refers to); its first playable = the lowest rung's and
// the audio's playlists both list a segment. transcode_ratio_vs_plain_ffmpeg = reference seconds
// / app seconds (above 1: the app is faster). A full run times the reference before and after
// the app and takes the mean of the two. Wall time on a shared machine follows the load of
// the moment, so the CPU seconds each spent (ffmpeg children reaped by the API process / by this
// one, from /proc) are reported beside it (`cpuRatio`, reference / app).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openAsBlob, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, getJson, log, makeTempDir, round, sleep, startApi } from './lib/util.mjs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) of the finished children `pid` has reaped: cutime + cstime of /proc/<pid>/stat. */
function childrenCpuS(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

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
    const cpu0 = childrenCpuS(api.pid);
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
          cpuS: childrenCpuS(api.pid) - cpu0,
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

/** The app's ladder for a 1080p source with sound (apps/api/src/media/ladder.ts), written out by hand. */
const RUNGS = [
  { height: 360, kbps: 800 },
  { height: 720, kbps: 2800 },
  { height: 1080, kbps: 5000 },
];
const AUDIO_KBPS = 128;
/** A keyframe at 0, at 1 s, then every 2 s (ladder.ts KEYFRAME_EXPR). */
const KEYFRAMES = 'expr:gte(t,if(eq(n_forced,0),0,1+(n_forced-1)*2))';

/** One plain ffmpeg command: every rung and the audio once, timed; first playable = v0 and audio list a segment. */
async function plainFfmpeg(file, outDir) {
  const audio = RUNGS.length;
  for (let v = 0; v <= audio; v++) mkdirSync(join(outDir, `v${v}`), { recursive: true });
  const lists = [join(outDir, 'v0', 'index.m3u8'), join(outDir, `v${audio}`, 'index.m3u8')];
  let firstPlayableS = null;
  let done = false;
  const t0 = performance.now();
  const cpu0 = childrenCpuS(process.pid);
  const watcher = (async () => {
    while (!done) {
      if (lists.every((l) => existsSync(l) && readFileSync(l, 'utf8').includes('#EXTINF'))) {
        firstPlayableS = (performance.now() - t0) / 1000;
        return;
      }
      await sleep(20);
    }
  })();
  const filter = [`[0:v:0]split=${RUNGS.length}${RUNGS.map((_, i) => `[s${i}]`).join('')}`, ...RUNGS.map((r, i) => `[s${i}]scale=-2:${r.height}[o${i}]`)].join(';');
  const ms = await ffmpeg([
    '-i', file,
    '-filter_complex', filter,
    ...RUNGS.flatMap((_, i) => ['-map', `[o${i}]`]), '-map', '0:a:0',
    '-fps_mode', 'vfr', '-enc_time_base:v', '-1',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-force_key_frames', KEYFRAMES,
    ...RUNGS.flatMap((r, i) => [`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${Math.round(r.kbps * 1.07)}k`, `-bufsize:v:${i}`, `${Math.round(r.kbps * 1.5)}k`]),
    '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2',
    '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4',
    '-hls_flags', 'independent_segments+temp_file', '-hls_segment_filename', join(outDir, 'v%v', 'seg_%05d.m4s'),
    '-hls_fmp4_init_filename', 'init.mp4', '-master_pl_name', 'master.m3u8',
    '-var_stream_map', [...RUNGS.map((_, i) => `v:${i},agroup:audio`), 'a:0,agroup:audio'].join(' '),
    join(outDir, 'v%v', 'index.m3u8'),
  ]);
  done = true;
  await watcher;
  return { encodeS: ms / 1000, firstPlayableS: firstPlayableS ?? ms / 1000, cpuS: childrenCpuS(process.pid) - cpu0 };
}

const REFERENCE = 'one plain ffmpeg command: the same rungs (360p/720p/1080p, libx264 veryfast, same bit rates and keyframes), AAC once as an audio group, fMP4 HLS 1 s then 2 s segments';

export async function transcodeBench({ quick, emit }) {
  const seconds = quick ? 20 : 60;
  const dir = makeTempDir('transcode');
  const file = await makeSource(dir, seconds);
  const sourceBytes = statSync(file).size;
  const params = { clipSeconds: seconds, source: '1920x1080 30 fps H.264 + AAC (testsrc2 + sine)', sourceBytes, cores: 2 };

  const reference = async () => {
    try {
      const r = await plainFfmpeg(file, makeTempDir('ffmpeg-hls'));
      log(`transcode reference (one plain ffmpeg, ${RUNGS.map((x) => x.height).join('/')}p + audio once): ${round(r.encodeS)} s, first segment ${round(r.firstPlayableS)} s, ${round(r.cpuS)} CPU s`);
      return r;
    } catch (err) {
      return { error: String(err.message ?? err) };
    }
  };
  // Full runs: reference, app, reference, and the reference's figures are the mean of the two
  // runs around the app's (a load that drifts during the minutes this takes lands on both sides).
  const refs = [await reference()];
  let ref = refs[0];
  const refError = () => (ref.error ? { error: `reference failed: ${ref.error}` } : {});
  try {
    const app = await appTranscode(file, seconds);
    if (!quick && !ref.error) {
      refs.push(await reference());
      const ok = refs.filter((r) => !r.error);
      const mean = (k) => ok.reduce((a, r) => a + r[k], 0) / ok.length;
      ref = { encodeS: mean('encodeS'), firstPlayableS: mean('firstPlayableS'), cpuS: mean('cpuS') };
    }
    const referenceRuns = refs.map((r) => (r.error ? { error: r.error } : { encodeS: round(r.encodeS), cpuS: round(r.cpuS) }));
    log(`transcode app (ladder ${app.renditions.join('/')}p): ready ${round(app.encodeS)} s, playable ${round(app.firstPlayableS)} s, ${round(app.cpuS)} CPU s`);
    const shared = { ...params, appRenditions: app.renditions, uploadS: round(app.uploadS), poll: '100 ms' };
    emit({
      name: 'transcode_realtime_factor',
      value: seconds / app.encodeS,
      unit: 'x realtime',
      reference: ref.error ? null : seconds / ref.encodeS,
      ...refError(),
      params: {
        ...shared,
        appEncodeS: round(app.encodeS),
        referenceEncodeS: ref.error ? null : round(ref.encodeS),
        reference: REFERENCE,
      },
    });
    emit({
      name: 'time_to_first_playable_s',
      value: app.firstPlayableS,
      unit: 's',
      reference: ref.error ? null : ref.firstPlayableS,
      ...refError(),
      params: {
        ...shared,
        from: 'upload response (app) / ffmpeg spawn (reference)',
        reference: `${REFERENCE}: time until its lowest rung and audio playlists list a segment`,
      },
    });
    emit({
      name: 'transcode_ratio_vs_plain_ffmpeg',
      value: ref.error ? null : ref.encodeS / app.encodeS,
      unit: 'x (reference s / app s)',
      reference: 1,
      ...refError(),
      params: {
        ...shared,
        appEncodeS: round(app.encodeS),
        referenceEncodeS: ref.error ? null : round(ref.encodeS),
        appCpuS: round(app.cpuS),
        referenceCpuS: ref.error ? null : round(ref.cpuS),
        referenceRuns,
        order: quick ? 'reference, app' : 'reference, app, reference (reference figures: the mean of both)',
        cpuRatio: ref.error || !(app.cpuS > 0) ? null : round(ref.cpuS / app.cpuS),
        app: 'upload response to status ready (poster, ladder, playlists, master)',
        reference: REFERENCE,
        target: '>= 0.9',
      },
    });
  } catch (err) {
    const error = String(err.message ?? err);
    emit({ name: 'transcode_realtime_factor', value: null, unit: 'x realtime', reference: ref.error ? null : seconds / ref.encodeS, error, params });
    emit({ name: 'time_to_first_playable_s', value: null, unit: 's', reference: ref.firstPlayableS ?? null, error, params });
    emit({ name: 'transcode_ratio_vs_plain_ffmpeg', value: null, unit: 'x (reference s / app s)', reference: 1, error, params });
  }
}
