import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';
import { spawnSync } from 'node:child_process';

/** The real things the suites start; `npm test` stops here naming what to install. */
const SYSTEM_DEPENDENCIES: [command: string, args: string[], aptPackage: string][] = [
  ['redis-server', ['--version'], 'redis-server'],
  ['ffmpeg', ['-version'], 'ffmpeg'],
  ['ffprobe', ['-version'], 'ffmpeg'],
  ['chromium', ['--version'], 'chromium'],
  ['nginx', ['-v'], 'nginx-light'],
  ['docker-compose', ['version'], 'docker-compose'],
  // The three-engine browser tests: Firefox ESR, WebKitGTK's driver under a virtual X display,
  // and the GStreamer plugins WebKitGTK plays media with.
  ['firefox-esr', ['--version'], 'firefox-esr'],
  ['WebKitWebDriver', ['--help'], 'webkit2gtk-driver'],
  ['Xvfb', ['-help'], 'xvfb'],
  ['sh', ['-c', 'ls /usr/lib/*/gstreamer-1.0/libgstisomp4.so'], 'gstreamer1.0-plugins-good'],
  ['sh', ['-c', 'ls /usr/lib/*/gstreamer-1.0/libgstvideoparsersbad.so'], 'gstreamer1.0-plugins-bad'],
  ['sh', ['-c', 'ls /usr/lib/*/gstreamer-1.0/libgstlibav.so'], 'gstreamer1.0-libav'],
  // The GStreamer RTMP publisher (apps/api/test/live-gstreamer.spec.ts): gst-launch-1.0 and x264enc;
  // rtmp2sink (plugins-bad), flvmux (plugins-good) and avenc_aac (libav) come with the packages above.
  ['gst-launch-1.0', ['--version'], 'gstreamer1.0-tools'],
  ['sh', ['-c', 'ls /usr/lib/*/gstreamer-1.0/libgstx264.so'], 'gstreamer1.0-plugins-ugly'],
];

function checkSystemDependencies() {
  const missing = SYSTEM_DEPENDENCIES.filter(([cmd, args]) => {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return r.error !== undefined || r.status !== 0;
  });
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, , pkg]) => pkg))].join(' ');
    throw new Error(
      `Missing system dependencies: ${[...new Set(missing.map(([cmd, , pkg]) => (cmd === 'sh' ? pkg : cmd)))].join(', ')}.\n` +
        `Install them with: sudo apt-get install -y ${packages}`,
    );
  }
}

export default async (): Promise<Config> => {
  checkSystemDependencies();
  // testTimeout is a global option: per-project values are ignored when running all projects.
  return { projects: await getJestProjectsAsync(), testTimeout: 60_000 };
};
