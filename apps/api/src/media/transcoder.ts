import type { LadderRung } from './ladder';

export interface ProbeResult {
  durationSec: number | null;
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
}

/** ffmpeg/ffprobe behind a port: the media service never spawns processes itself. */
export abstract class Transcoder {
  /** Both binaries answer. */
  abstract available(): Promise<boolean>;
  /** Null when the file is not a video we can decode. */
  abstract probe(file: string): Promise<ProbeResult | null>;
  /** One pass producing every rung; `onProgress` gets seconds of output written. */
  abstract transcodeHls(
    input: string,
    outDir: string,
    rungs: LadderRung[],
    probe: ProbeResult,
    onProgress: (outSeconds: number) => void,
    signal: AbortSignal,
  ): Promise<void>;
  abstract poster(input: string, output: string, atSec: number): Promise<boolean>;
}
