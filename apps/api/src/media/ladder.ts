import type { Rendition } from '@watch-party/contracts';

/** Rungs of the HLS ladder and their video bitrates (kbit/s), roughly Apple's authoring spec. */
const LADDER: { height: number; videoKbps: number }[] = [
  { height: 360, videoKbps: 800 },
  { height: 720, videoKbps: 2800 },
  { height: 1080, videoKbps: 5000 },
];
const AUDIO_KBPS = 128;
/** Segment length; the keyframe interval is pinned to it. */
export const SEGMENT_SECONDS = 2;
/**
 * ffmpeg's own master playlist: never served. Ours, `master.m3u8`, is written from it and from
 * the segments (see MediaStorage.writeMaster): ffmpeg 5 leaves out INDEPENDENT-SEGMENTS,
 * AVERAGE-BANDWIDTH and FRAME-RATE, and its BANDWIDTH is a guess from the nominal bit rates.
 */
export const FFMPEG_MASTER = 'ffmpeg-master.m3u8';

export interface LadderRung extends Rendition {
  videoKbps: number;
}

/**
 * Renditions for a source of `sourceHeight`: every rung at or below it (never upscaled), plus
 * the source's own height when it sits well above the highest rung that fits.
 */
export function chooseLadder(sourceHeight: number, hasAudio: boolean): LadderRung[] {
  const h = Math.max(2, Math.floor(sourceHeight / 2) * 2);
  const rungs = LADDER.filter((r) => r.height <= h);
  const top = rungs[rungs.length - 1];
  if (!top || h >= top.height * 1.2) {
    // Scale the bitrate with the pixel count relative to the nearest known rung.
    const ref = top ?? LADDER[0];
    rungs.push({ height: h, videoKbps: Math.round(ref.videoKbps * Math.min(1.5, (h / ref.height) ** 2)) });
  }
  return rungs.map((r) => ({
    height: r.height,
    videoKbps: r.videoKbps,
    bandwidth: (r.videoKbps + (hasAudio ? AUDIO_KBPS : 0)) * 1000,
  }));
}

/** Frame rates the keyframe interval is computed for; forced keyframes cut segments anyway. */
const GOP_FPS_MIN = 10;
const GOP_FPS_MAX = 60;

/**
 * ffmpeg arguments for one pass producing every rung as fMP4 HLS (EVENT playlists). Frames
 * keep their own timing (never padded to a constant rate: a sparse file costs its real frames,
 * not hours of copies) and keyframes are forced by time, so segments are SEGMENT_SECONDS long
 * whatever the frame rate. Every segment starts with an IDR frame (the HLS muxer cuts only at
 * keyframes, x264's GOPs are closed, forced keyframes are IDR, no scene-cut keyframes): the
 * master can say #EXT-X-INDEPENDENT-SEGMENTS.
 */
export function hlsArguments(input: string, outDir: string, rungs: LadderRung[], fps: number, hasAudio: boolean, videoStream?: number): string[] {
  const gopFps = Math.min(GOP_FPS_MAX, Math.max(GOP_FPS_MIN, fps || 30));
  const gop = Math.round(gopFps * SEGMENT_SECONDS);
  const n = rungs.length;
  const split = `[0:${videoStream ?? 'v:0'}]split=${n}${rungs.map((_, i) => `[s${i}]`).join('')}`;
  const scales = rungs.map((r, i) => `[s${i}]scale=-2:${r.height}[o${i}]`);
  const args = ['-hide_banner', '-nostdin', '-y', '-i', input, '-progress', 'pipe:1', '-nostats', '-filter_complex', [split, ...scales].join(';')];
  rungs.forEach((_, i) => args.push('-map', `[o${i}]`));
  if (hasAudio) rungs.forEach(() => args.push('-map', '0:a:0'));
  args.push(
    // Each frame keeps its own timestamp, in the source's time base (no rounding to 1/fps).
    '-fps_mode', 'vfr', '-enc_time_base:v', '-1',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
  );
  rungs.forEach((r, i) =>
    args.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.07)}k`, `-bufsize:v:${i}`, `${Math.round(r.videoKbps * 1.5)}k`),
  );
  if (hasAudio) args.push('-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2');
  args.push(
    '-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'event',
    '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments+temp_file',
    '-hls_segment_filename', `${outDir}/v%v/seg_%05d.m4s`, '-hls_fmp4_init_filename', 'init.mp4',
    '-master_pl_name', FFMPEG_MASTER,
    '-var_stream_map', rungs.map((_, i) => (hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' '),
    `${outDir}/v%v/index.m3u8`,
  );
  return args;
}
