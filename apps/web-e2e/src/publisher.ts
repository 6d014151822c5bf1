import { type ChildProcess, spawn } from 'node:child_process';

/** How long a test publisher streams at most (a test that forgets to stop it does not leave it for long). */
export const PUBLISH_MAX_SECONDS = 300;

/**
 * ffmpeg publishing a test pattern (640x360, 30 fps, 1 s GOP) with a tone over RTMP, like OBS
 * would. The caller kills it (SIGKILL) when done.
 */
export function publishRtmp(url: string, maxSeconds = PUBLISH_MAX_SECONDS): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      '-v', 'error', '-nostdin', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(maxSeconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', url,
    ],
    { stdio: 'ignore' },
  );
}
