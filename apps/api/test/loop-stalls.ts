import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './built-replica';

/**
 * How long a built replica's event loop was unavailable for its own reasons, as opposed to the
 * machine's: see loop-stalls.cjs, preloaded into the replica with `loopStallsEnv`.
 *
 * Why: a health probe's latency on a shared test machine is mostly scheduling. Measured inside
 * the replica during an attack at load 25, probes took up to 1345 ms while the replica's event
 * loop was never more than 332 ms late, and of that lateness all but ~20 ms was the main thread
 * waiting for a CPU. A bound on the probe measures the machine; a bound on the stall measures
 * whether the replica blocks its loop (synchronous fs work, hashing, big copies).
 */

const PRELOAD = join(__dirname, 'loop-stalls.cjs');
/** How long `loopStalls` waits for a report written after the window it asks about. */
const REPORT_WAIT_MS = 5000;

/** One late tick of the replica's probe timer. */
export interface LateTick {
  /** wall clock (Date.now()) when the late tick ran */
  at: number;
  /** how late the tick was */
  lateMs: number;
  /** of which the process was waiting for a CPU: mainWaitMs + helpersWaitMs */
  cpuWaitMs: number;
  /** the main thread runnable but not running */
  mainWaitMs: number;
  /** V8 helper threads runnable but not running while the main thread slept (at most that long) */
  helpersWaitMs: number;
  /** the rest: the loop busy or blocked by the process itself */
  stallMs: number;
  /** the main thread's CPU time in that interval */
  cpuMs: number;
}

interface Report {
  pid: number;
  tickMs: number;
  noteMs: number;
  ticks: number;
  writtenAt: number;
  late: LateTick[];
}

export interface LoopStalls {
  /** the late tick with the longest stall in the window (null: none was late by the report's noteMs) */
  worstStall: LateTick | null;
  /** the latest tick in the window: the plain event-loop delay, the machine's share included */
  worstLate: LateTick | null;
  /** late ticks in the window */
  lateTicks: number;
}

/** The environment that preloads the monitor into a replica; its reports go to `dir`. */
export function loopStallsEnv(dir: string): Record<string, string> {
  const options = [process.env['NODE_OPTIONS'], `--require ${JSON.stringify(PRELOAD)}`].filter(Boolean).join(' ');
  return { NODE_OPTIONS: options, WP_LOOP_STALLS_DIR: dir };
}

/**
 * The replica's late ticks between `from` and `to` (Date.now() values), once it has written a
 * report after `to`. Throws, naming the file, when it writes none within 5 s (not preloaded,
 * or the replica is gone).
 */
export async function loopStalls(dir: string, pid: number, from: number, to: number): Promise<LoopStalls> {
  const file = join(dir, `loop-stalls-${pid}.json`);
  const deadline = Date.now() + REPORT_WAIT_MS;
  let report: Report | null = null;
  for (;;) {
    report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Report) : null;
    if (report && report.writtenAt > to) break;
    if (Date.now() > deadline) throw new Error(`no loop-stalls report after ${new Date(to).toISOString()} in ${file}: was the replica started with loopStallsEnv()?`);
    await sleep(50);
  }
  // A late tick runs at the end of its interval: one that ended within the window counts.
  const inWindow = report.late.filter((t) => t.at >= from && t.at - t.lateMs - report.tickMs <= to);
  const worst = (key: 'stallMs' | 'lateMs') => inWindow.reduce<LateTick | null>((w, t) => (w === null || t[key] > w[key] ? t : w), null);
  return { worstStall: worst('stallMs'), worstLate: worst('lateMs'), lateTicks: inWindow.length };
}
