import childProcess from 'node:child_process';
import net from 'node:net';

/**
 * Loaded before every spec of the unit tier (apps/api/jest.unit.config.cts): starting a process
 * or opening a socket throws. Unit specs run the rules against in-memory fakes and FakeClock;
 * anything real (redis-server, ffmpeg, the built server, sockets) lives in apps/api/test.
 */
function refuse(what: string) {
  return (): never => {
    throw new Error(`a unit spec may not ${what}: move this test to apps/api/test (the integration tier)`);
  };
}

const processStarters = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of processStarters) {
  Object.defineProperty(childProcess, name, { value: refuse(`start a child process (${name})`), configurable: true, writable: true });
}
Object.defineProperty(net.Socket.prototype, 'connect', { value: refuse('open a network connection'), configurable: true, writable: true });
Object.defineProperty(net.Server.prototype, 'listen', { value: refuse('listen on a port'), configurable: true, writable: true });
