import type { LadderRung } from './ladder';

export interface ProbeResult {
  durationSec: number | null;
  width: number;
  height: number;
  /** average frames per second over the whole stream (0 when unknown) */
  fps: number;
  hasAudio: boolean;
  /** codec of the picture stream, as ffprobe names it */
  codec?: string;
  /** index of the picture stream in the file (absent in records probed before it existed) */
  stream?: number;
  /** frames in the picture stream, from the header or counted; null when unknown */
  frames?: number | null;
  /** text subtitle streams (image ones are left out); absent in records probed before they were read */
  subtitles?: SubtitleStream[];
}

/** A text subtitle stream inside a video file, as ffprobe tags it. */
export interface SubtitleStream {
  /** index of the stream in the file */
  index: number;
  codec: string;
  /** the `language` tag ("und" and junk become null) */
  language: string | null;
  /** the `title` tag */
  title: string | null;
}

/** Subtitle codecs ffmpeg turns into WebVTT; picture subtitles (DVD, PGS, DVB) cannot be. */
export const TEXT_SUBTITLE_CODECS: ReadonlySet<string> = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);

/** What ffmpeg reports while encoding. */
export interface TranscodeProgress {
  /** seconds of output written */
  outSeconds: number;
  /** video frames encoded so far */
  frames: number;
}

/** ffmpeg/ffprobe behind a port: the media service never spawns processes itself. */
export abstract class Transcoder {
  /** Both binaries answer. */
  abstract available(): Promise<boolean>;
  /** What the headers say (no decoding); null when there is no picture stream to read. */
  abstract probe(file: string): Promise<ProbeResult | null>;
  /** How many frames of the probed stream really decode, stopping at `atMost`. */
  abstract decodableFrames(file: string, probe: ProbeResult, atMost: number): Promise<number>;
  /**
   * Every rung and the audio rendition (see ladder.ts hlsPasses: the lowest rung and the audio
   * first). `onPlayable` is called once, before the job ends, as soon as the lowest rung and
   * the audio rendition list their first segment; rejects when ffmpeg fails or on abort.
   */
  abstract transcodeHls(
    input: string,
    outDir: string,
    rungs: LadderRung[],
    probe: ProbeResult,
    onProgress: (progress: TranscodeProgress) => void,
    signal: AbortSignal,
    onPlayable?: () => void,
  ): Promise<void>;
  /** One pass writing each listed stream as a WebVTT file; rejects when ffmpeg fails. */
  abstract extractSubtitles(input: string, tracks: { stream: number; output: string }[], signal: AbortSignal): Promise<void>;
  abstract poster(input: string, output: string, atSec: number, signal?: AbortSignal): Promise<boolean>;
}
