import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');

export interface BuiltServer {
  url: string;
  /** The server process (fault tests freeze it with SIGSTOP and resume it with SIGCONT). */
  readonly pid: number;
  /** Sends `sig` to the server process. */
  signal(sig: NodeJS.Signals): void;
  close(): Promise<void>;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** The production build (`npm run build`) started the way `npm start` starts it. */
export async function startBuiltServer(env: Record<string, string> = {}): Promise<BuiltServer> {
  if (!existsSync(MAIN) || !existsSync(join(ROOT, 'dist/apps/web/browser/index.html'))) {
    throw new Error('no build found: run `npm run build` first (npm test does)');
  }
  const port = await freePort();
  const mediaDir = mkdtempSync(join(tmpdir(), 'wp-e2e-media-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-e2e-data-'));
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, MEDIA_DIR: mediaDir, RTMP_PORT: '0', SESSION_CREATE_PER_MIN: '1000', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
    if (i === 99) throw new Error(`server did not answer:\n${output}`);
  }
  return {
    url,
    pid: child.pid ?? -1,
    signal: (sig) => {
      child.kill(sig);
    },
    close: async () => {
      // A frozen server would never see the SIGTERM.
      if (child.exitCode === null) child.kill('SIGCONT');
      if (child.exitCode === null) {
        await new Promise<void>((r) => {
          child.once('exit', () => r());
          child.kill('SIGTERM');
        });
      }
      rmSync(mediaDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
