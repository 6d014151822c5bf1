import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegTranscoder } from '../src/media/ffmpeg.transcoder';
import { parseMediaPlaylist } from '../src/media/hls-master';
import { newId } from '../src/common/ids';
import { chooseLadder, FFMPEG_MASTERS, FIRST_SEGMENT_SECONDS, hlsLayout, SEGMENT_SECONDS } from '../src/media/ladder';
import { MediaStorage } from '../src/media/media-storage';
import type { ProbeResult, TranscodeProgress } from '../src/media/transcoder';
import { makeClip } from './clips';

/** The codec types of the streams in `file` (an init segment followed by media segments). */
function streamTypes(file: string): string[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

/** Frames (video) or packets (audio) that really decode from `file`, read by ffmpeg itself. */
function decodedFrames(file: string, stream: 'v:0' | 'a:0'): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  return Number(r.stdout.trim());
}

/** Every playlist under `dir` lists only segments that exist whole (no `.tmp`, none empty). */
function nothingHalfWritten(dir: string): void {
  for (const v of readdirSync(dir).filter((d) => /^v\d+$/.test(d))) {
    const playlist = join(dir, v, 'index.m3u8');
    if (!existsSync(playlist)) continue;
    const text = readFileSync(playlist, 'utf8');
    for (const s of parseMediaPlaylist(text).segments) expect(statSync(join(dir, v, s.uri)).size).toBeGreaterThan(0);
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
    if (init) expect(statSync(join(dir, v, init)).size).toBeGreaterThan(0);
  }
}

describe('the HLS ladder with real ffmpeg: lowest rung and audio first, audio encoded once', () => {
  const transcoder = new FfmpegTranscoder('ffmpeg', 'ffprobe');
  const dirs: string[] = [];
  let clip: string;
  let probe: ProbeResult;
  const seconds = 7;

  beforeAll(async () => {
    clip = makeClip({ width: 1280, height: 720, seconds, fps: 30 });
    const probed = await transcoder.probe(clip);
    if (!probed) throw new Error('ffprobe could not read the generated clip');
    probe = probed;
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const workDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'wp-ladder-'));
    dirs.push(d);
    return d;
  };

  it('says it is playable before it ends, once the lowest rung and the audio have a ~1 s first segment; ends with every rung complete', async () => {
    const storage = new MediaStorage(workDir(), { shared: false });
    const id = newId();
    const out = storage.hlsDir(id);
    const rungs = chooseLadder(probe.height, probe.hasAudio);
    expect(rungs.map((r) => r.height)).toEqual([360, 720]);
    const progress: TranscodeProgress[] = [];
    let atPlayable: { v0: string; audio: string; v1Exists: boolean } | null = null;
    let ended = false;
    const started = performance.now();
    let playableAfterS = 0;
    await transcoder.transcodeHls(
      clip,
      out,
      rungs,
      probe,
      (p) => progress.push(p),
      new AbortController().signal,
      () => {
        expect(atPlayable).toBeNull(); // once
        expect(ended).toBe(false);
        playableAfterS = (performance.now() - started) / 1000;
        atPlayable = {
          v0: readFileSync(join(out, 'v0', 'index.m3u8'), 'utf8'),
          audio: readFileSync(join(out, 'v2', 'index.m3u8'), 'utf8'),
          // The higher rung has not started: nothing else took the CPU from the first segments.
          v1Exists: existsSync(join(out, 'v1', 'index.m3u8')),
        };
      },
    );
    ended = true;
    const endedAfterS = (performance.now() - started) / 1000;
    console.log(`ladder of a ${seconds} s 720p30 clip: playable after ${playableAfterS.toFixed(2)} s, done after ${endedAfterS.toFixed(2)} s`);
    if (!atPlayable) throw new Error('onPlayable was never called');
    const early = atPlayable as { v0: string; audio: string; v1Exists: boolean };
    expect(early.v1Exists).toBe(false);
    expect(early.v0).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(early.v0).not.toContain('#EXT-X-ENDLIST');
    const firstVideo = parseMediaPlaylist(early.v0).segments;
    const firstAudio = parseMediaPlaylist(early.audio).segments;
    expect(firstVideo.length).toBeGreaterThanOrEqual(1);
    expect(firstAudio.length).toBeGreaterThanOrEqual(1);
    expect(firstVideo[0].durationSec).toBeLessThanOrEqual(FIRST_SEGMENT_SECONDS + 0.05);
    expect(firstAudio[0].durationSec).toBeLessThanOrEqual(FIRST_SEGMENT_SECONDS + 0.05);

    // Progress moved, and never ahead of the slower pass's frames.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => p.frames > 0)).toBe(true);
    for (const p of progress) expect(p.frames).toBeLessThanOrEqual(seconds * 30);

    // ffmpeg's masters, one per pass, never served; the audio rendition in one folder only.
    for (const name of FFMPEG_MASTERS) expect(existsSync(join(out, name))).toBe(true);
    expect(readdirSync(out).filter((d) => /^v\d+$/.test(d)).sort()).toEqual(['v0', 'v1', 'v2']);

    const audioFolders: string[] = [];
    for (const v of ['v0', 'v1', 'v2']) {
      const text = readFileSync(join(out, v, 'index.m3u8'), 'utf8');
      expect(text).toContain('#EXT-X-ENDLIST');
      const { segments } = parseMediaPlaylist(text);
      const total = segments.reduce((t, s) => t + s.durationSec, 0);
      expect(Math.abs(total - seconds)).toBeLessThan(0.2);
      expect(segments[0].durationSec).toBeLessThanOrEqual(FIRST_SEGMENT_SECONDS + 0.05);
      if (v !== 'v2') {
        // 1 s, then 2 s segments, whatever is left last.
        for (const s of segments.slice(1, -1)) expect(s.durationSec).toBeCloseTo(SEGMENT_SECONDS, 2);
      }
      // Init + every segment, one after the other, is a file ffmpeg reads through.
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1] ?? '';
      const whole = join(workDir(), `${v}.mp4`);
      writeFileSync(whole, Buffer.concat([readFileSync(join(out, v, init)), ...segments.map((s) => readFileSync(join(out, v, s.uri)))]));
      const types = streamTypes(whole);
      if (types.some((t) => t.endsWith('audio'))) audioFolders.push(v);
      if (v === 'v2') {
        expect(types).toEqual(['aac,audio']);
        expect(decodedFrames(whole, 'a:0')).toBeGreaterThan(seconds * 40); // 48 kHz AAC: ~47 frames a second
      } else {
        expect(types).toEqual(['h264,video']);
        expect(decodedFrames(whole, 'v:0')).toBe(seconds * 30);
      }
    }
    expect(audioFolders).toEqual(['v2']);
    nothingHalfWritten(out);

    // Our master from them: the audio group once, every rung referring to it, CODECS naming both,
    // BANDWIDTH counting the audio.
    await storage.finalizePlaylists(id, 3);
    for (const v of ['v0', 'v1', 'v2']) expect(readFileSync(join(out, v, 'index.m3u8'), 'utf8')).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    const renditions = await storage.writeMaster(id, rungs, probe.fps, true, hlsLayout(rungs.length, true));
    const master = readFileSync(join(out, 'master.m3u8'), 'utf8');
    expect(master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:'))).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v2/index.m3u8"',
    ]);
    const infs = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(infs).toHaveLength(2);
    for (const inf of infs) {
      expect(inf).toMatch(/,CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2",/);
      expect(inf).toMatch(/,AUDIO="audio"$/);
    }
    const audioBytes = parseMediaPlaylist(readFileSync(join(out, 'v2', 'index.m3u8'), 'utf8')).segments.reduce((t, s) => t + statSync(join(out, 'v2', s.uri)).size, 0);
    const videoBytes = parseMediaPlaylist(readFileSync(join(out, 'v0', 'index.m3u8'), 'utf8')).segments.reduce((t, s) => t + statSync(join(out, 'v0', s.uri)).size, 0);
    const average = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(infs[0])?.[1]);
    // Video and audio each measured over their own length: within 2 % of the sum over the clip.
    expect(Math.abs(average - ((videoBytes + audioBytes) * 8) / seconds)).toBeLessThan(0.02 * average);
    expect(renditions?.map((r) => r.height)).toEqual([360, 720]);
    expect(renditions?.[0].bandwidth).toBe(Number(/BANDWIDTH=(\d+)/.exec(infs[0])?.[1]));
  }, 120_000);

  it('killed mid-way: rejects, leaves no ffmpeg running and nothing half-written listed', async () => {
    const out = join(workDir(), 'hls');
    const rungs = chooseLadder(probe.height, probe.hasAudio);
    const abort = new AbortController();
    const job = transcoder.transcodeHls(clip, out, rungs, probe, () => undefined, abort.signal, () => abort.abort());
    await expect(job).rejects.toThrow('cancelled');
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(ps.split('\n').filter((l) => l.startsWith('ffmpeg') && l.includes(out))).toEqual([]);
    nothingHalfWritten(out);
    // The second pass never started: the abort came when the first segments were out.
    expect(existsSync(join(out, 'v1', 'index.m3u8'))).toBe(false);
  }, 60_000);

  it('a source ffmpeg cannot read fails with ffmpeg\'s reason, without calling it playable', async () => {
    const out = join(workDir(), 'hls');
    const junk = join(workDir(), 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    let playable = false;
    await expect(
      transcoder.transcodeHls(junk, out, chooseLadder(720, true), { ...probe }, () => undefined, new AbortController().signal, () => (playable = true)),
    ).rejects.toThrow(/^ffmpeg failed \(1\): /);
    expect(playable).toBe(false);
  }, 60_000);
});
