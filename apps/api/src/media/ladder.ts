import type { Rendition } from '@watch-party/contracts';

/** Rungs of the HLS ladder and their video bitrates (kbit/s), roughly Apple's authoring spec. */
const LADDER: { height: number; videoKbps: number }[] = [
  { height: 360, videoKbps: 800 },
  { height: 720, videoKbps: 2800 },
  { height: 1080, videoKbps: 5000 },
];
const AUDIO_KBPS = 128;
/** Segment length after the first; the keyframe interval is pinned to it. */
export const SEGMENT_SECONDS = 2;
/** The first segment is shorter: a fresh upload plays as soon as it is written. */
export const FIRST_SEGMENT_SECONDS = 1;
/**
 * ffmpeg's own master playlists, one per pass: never served. Ours, `master.m3u8`, is written
 * from them and from the segments (see MediaStorage.writeMaster): ffmpeg 5 leaves out
 * INDEPENDENT-SEGMENTS, AVERAGE-BANDWIDTH and FRAME-RATE, and its BANDWIDTH is a guess from the
 * nominal bit rates.
 */
export const FFMPEG_MASTER = 'ffmpeg-master.m3u8';
export const FFMPEG_MASTERS: readonly string[] = [FFMPEG_MASTER, 'ffmpeg-master-1.m3u8'];
/** GROUP-ID of the one audio rendition every video variant refers to. */
export const AUDIO_GROUP = 'audio';
/** The audio codec written (AAC-LC), as RFC 6381 names it. */
export const AUDIO_CODECS = 'mp4a.40.2';
export const AUDIO_CHANNELS = 2;

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

/**
 * Where each rendition lives under the item's HLS folder: video rung `i` in `v<i>/`, the audio
 * rendition (encoded once, shared by every rung) after them in `v<rungs>/`.
 */
export interface HlsLayout {
  /** video rungs, `v0` .. `v<videoVariants - 1>`, lowest first */
  videoVariants: number;
  /** index of the audio rendition's folder, or null for a silent source */
  audioVariant: number | null;
  /** rungs listed in the master while the job runs (those of the first pass) */
  earlyVariants: number;
}

export function hlsLayout(rungs: number, hasAudio: boolean): HlsLayout {
  return { videoVariants: rungs, audioVariant: hasAudio ? rungs : null, earlyVariants: Math.min(1, rungs) };
}

/** Every folder of the layout: video rungs then audio. */
export function layoutVariants(layout: HlsLayout): number[] {
  const out = Array.from({ length: layout.videoVariants }, (_, i) => i);
  return layout.audioVariant === null ? out : [...out, layout.audioVariant];
}

/** One ffmpeg command of a job and the folders (`v<i>`) it writes. */
export interface HlsPass {
  args: string[];
  variants: number[];
}

/**
 * Decoder threads of each pass (`-threads` before `-i`: the decoder only; x264 keeps its own
 * threads). Every pass decodes the source itself and the encoders already keep the cores busy:
 * a frame-threaded decoder only adds CPU.
 */
export const DECODER_THREADS = 1;
/**
 * Above this source pixel rate (1080p at 60 fps) the first pass decodes on ffmpeg's own thread
 * count: one thread might not keep the lowest rung, which viewers watch while the job runs,
 * ahead of real time for a 4K or high-rate source. The other passes are held back by their
 * encoders, never by one decoder thread.
 */
export const SINGLE_THREAD_DECODE_MAX_PIXEL_RATE = 1920 * 1080 * 60;

/**
 * Decoder threads of pass `pass` (`0`: ffmpeg chooses). The source's height is the ladder's top
 * rung (chooseLadder adds the source's own height when it sits above the known rungs), its
 * width taken as 16:9.
 */
export function decoderThreads(pass: number, rungs: LadderRung[], fps: number): number {
  if (pass > 0) return DECODER_THREADS;
  const height = Math.max(0, ...rungs.map((r) => r.height));
  const pixelRate = Math.round((height * 16) / 9) * height * (fps > 0 ? fps : 30);
  return pixelRate <= SINGLE_THREAD_DECODE_MAX_PIXEL_RATE ? DECODER_THREADS : 0;
}

/** Frame rates the keyframe interval is computed for; forced keyframes cut segments anyway. */
const GOP_FPS_MIN = 10;
const GOP_FPS_MAX = 60;

/**
 * A keyframe at 0, at FIRST_SEGMENT_SECONDS, then every SEGMENT_SECONDS: ffmpeg's `n_forced`
 * counts the keyframes forced so far.
 */
export const KEYFRAME_EXPR = `expr:gte(t,if(eq(n_forced,0),0,${FIRST_SEGMENT_SECONDS}+(n_forced-1)*${SEGMENT_SECONDS}))`;

/**
 * The ffmpeg commands of one job, lowest rung first. Pass 0 encodes the lowest rung and the
 * audio (once, one AAC rendition every rung refers to): it is cheap, so a fresh upload plays
 * soon, and it is started alone. Pass 1 (when there is more than one rung) encodes the other
 * rungs; it is started once pass 0 has written its first segments. Each pass reads the source
 * itself (one more decode, a small part of the work) so the lowest rung is never held back by
 * the slow top ones.
 */
export function hlsPasses(input: string, outDir: string, rungs: LadderRung[], fps: number, hasAudio: boolean, videoStream?: number): HlsPass[] {
  const layout = hlsLayout(rungs.length, hasAudio);
  const first = rungs.slice(0, layout.earlyVariants).map((rung, i) => ({ rung, variant: i }));
  const rest = rungs.slice(layout.earlyVariants).map((rung, i) => ({ rung, variant: layout.earlyVariants + i }));
  const passes: HlsPass[] = [
    {
      args: hlsArguments(input, outDir, first, fps, layout.audioVariant, FFMPEG_MASTERS[0], videoStream, decoderThreads(0, rungs, fps)),
      variants: [...first.map((r) => r.variant), ...(layout.audioVariant === null ? [] : [layout.audioVariant])],
    },
  ];
  if (rest.length > 0) passes.push({
      args: hlsArguments(input, outDir, rest, fps, null, FFMPEG_MASTERS[1], videoStream, decoderThreads(1, rungs, fps)),
      variants: rest.map((r) => r.variant),
    });
  return passes;
}

/**
 * ffmpeg arguments for one pass producing `video` rungs (and the audio rendition when
 * `audioVariant` is set) as fMP4 HLS (EVENT playlists), each into `v<variant>/`. Frames
 * keep their own timing (never padded to a constant rate: a sparse file costs its real frames,
 * not hours of copies) and keyframes are forced by time (KEYFRAME_EXPR), so segments are
 * SEGMENT_SECONDS long (the first FIRST_SEGMENT_SECONDS) whatever the frame rate. Every segment
 * starts with an IDR frame (the HLS muxer cuts only at keyframes, x264's GOPs are closed, forced
 * keyframes are IDR, no scene-cut keyframes): the master can say #EXT-X-INDEPENDENT-SEGMENTS.
 * With `-hls_time FIRST_SEGMENT_SECONDS` the muxer cuts at every forced keyframe (its targets
 * add up: 1, 2, 3 s...), and the audio rendition in FIRST_SEGMENT_SECONDS segments.
 */
export function hlsArguments(
  input: string,
  outDir: string,
  video: { rung: LadderRung; variant: number }[],
  fps: number,
  audioVariant: number | null,
  masterName: string,
  videoStream?: number,
  decoderThreadCount: number = DECODER_THREADS,
): string[] {
  const gopFps = Math.min(GOP_FPS_MAX, Math.max(GOP_FPS_MIN, fps || 30));
  const gop = Math.round(gopFps * SEGMENT_SECONDS);
  const n = video.length;
  const split = `[0:${videoStream ?? 'v:0'}]split=${n}${video.map((_, i) => `[s${i}]`).join('')}`;
  const scales = video.map(({ rung }, i) => `[s${i}]scale=-2:${rung.height}[o${i}]`);
  const args = ['-hide_banner', '-nostdin', '-y', '-threads', String(decoderThreadCount), '-i', input, '-progress', 'pipe:1', '-nostats', '-filter_complex', [split, ...scales].join(';')];
  video.forEach((_, i) => args.push('-map', `[o${i}]`));
  if (audioVariant !== null) args.push('-map', '0:a:0');
  args.push(
    // Each frame keeps its own timestamp, in the source's time base (no rounding to 1/fps).
    '-fps_mode', 'vfr', '-enc_time_base:v', '-1',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-force_key_frames', KEYFRAME_EXPR,
  );
  video.forEach(({ rung }, i) =>
    args.push(`-b:v:${i}`, `${rung.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(rung.videoKbps * 1.07)}k`, `-bufsize:v:${i}`, `${Math.round(rung.videoKbps * 1.5)}k`),
  );
  if (audioVariant !== null) args.push('-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', String(AUDIO_CHANNELS));
  const group = audioVariant === null ? '' : `,agroup:${AUDIO_GROUP}`;
  const streams = video.map(({ variant }, i) => `v:${i}${group},name:${variant}`);
  if (audioVariant !== null) streams.push(`a:0${group},name:${audioVariant}`);
  args.push(
    '-f', 'hls', '-hls_time', String(FIRST_SEGMENT_SECONDS), '-hls_playlist_type', 'event',
    '-hls_segment_type', 'fmp4', '-hls_flags', 'independent_segments+temp_file',
    '-hls_segment_filename', `${outDir}/v%v/seg_%05d.m4s`, '-hls_fmp4_init_filename', 'init.mp4',
    '-master_pl_name', masterName,
    '-var_stream_map', streams.join(' '),
    `${outDir}/v%v/index.m3u8`,
  );
  return args;
}
