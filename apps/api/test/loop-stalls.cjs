'use strict';
/**
 * Preloaded into a BUILT replica by the tests only (NODE_OPTIONS=--require, see loop-stalls.ts),
 * never in production. It tells how long the main thread's event loop was unavailable for a
 * reason of the process's own: a TICK_MS timer's lateness minus the time spent waiting for a
 * CPU (the kernel's run-queue wait, second field of /proc/<pid>/task/<tid>/schedstat). On a
 * loaded machine every timer is late because the process is not scheduled; that part is the
 * machine's. It is the main thread's own wait, plus, while the main thread sleeps, its V8
 * helper threads' wait: a garbage collection's main thread sleeps until its helpers have run.
 * What remains is the loop's own: JavaScript and GC work, synchronous syscalls (fs, fsync).
 *
 * Every late tick (lateness of NOTE_MS or more) is kept, with its wall-clock time, and the
 * report is written to $WP_LOOP_STALLS_DIR/loop-stalls-<pid>.json every REPORT_EVERY_MS
 * (written aside and renamed, so a reader never sees half of it).
 */
const { isMainThread } = require('node:worker_threads');

const dir = process.env.WP_LOOP_STALLS_DIR;
if (isMainThread && dir) {
  const { readdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
  const { join } = require('node:path');

  /** the probe timer's period */
  const TICK_MS = 10;
  /** a tick at least this late is kept in the report */
  const NOTE_MS = 20;
  /** the most recent late ticks kept */
  const KEEP = 2000;
  const REPORT_EVERY_MS = 100;

  /** V8's platform threads (GC and compile helpers), by their name in /proc. */
  const V8_HELPER = /^V8Worker$/;
  /** How often the list of V8 helper threads is read again. */
  const HELPERS_EVERY_MS = 1000;

  const tasks = `/proc/${process.pid}/task`;
  /** on-CPU and run-queue time of a thread so far, in ms (0 for a thread that has ended) */
  const sched = (tid) => {
    try {
      const [onCpu, waiting] = readFileSync(`${tasks}/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      return { cpuMs: onCpu / 1e6, cpuWaitMs: waiting / 1e6 };
    } catch {
      return { cpuMs: 0, cpuWaitMs: 0 };
    }
  };
  try {
    readFileSync(`${tasks}/${process.pid}/schedstat`, 'utf8');
  } catch (err) {
    throw new Error(`loop-stalls: cannot read ${tasks}/${process.pid}/schedstat (needs Linux with schedstats): ${err.message}`);
  }
  let helpers = [];
  /** the helpers' run-queue time so far, at the last tick */
  let lastHelpers = 0;
  const helpersWaitMs = () => helpers.reduce((sum, tid) => sum + sched(tid).cpuWaitMs, 0);
  const findHelpers = () => {
    helpers = readdirSync(tasks).filter((tid) => {
      try {
        return V8_HELPER.test(readFileSync(`${tasks}/${tid}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    });
    // A thread joining or leaving the sum is no wait of this interval.
    lastHelpers = helpersWaitMs();
  };
  findHelpers();
  setInterval(findHelpers, HELPERS_EVERY_MS).unref();

  const target = join(dir, `loop-stalls-${process.pid}.json`);
  const late = [];
  let ticks = 0;
  let lastAt = performance.now();
  let last = sched(process.pid);
  setInterval(() => {
    const now = performance.now();
    const s = sched(process.pid);
    const h = helpersWaitMs();
    ticks++;
    const lateMs = now - lastAt - TICK_MS;
    if (lateMs >= NOTE_MS) {
      const cpuMs = s.cpuMs - last.cpuMs;
      const mainWaitMs = s.cpuWaitMs - last.cpuWaitMs;
      // Beyond the tick it was meant to sleep, the main thread slept this long: on a syscall,
      // or on a lock until its helpers had run (they may have waited for a CPU meanwhile).
      const sleptMs = Math.max(0, now - lastAt - cpuMs - mainWaitMs - TICK_MS);
      const helpersWaitedMs = Math.min(sleptMs, Math.max(0, h - lastHelpers));
      const cpuWaitMs = mainWaitMs + helpersWaitedMs;
      late.push({
        at: Date.now(),
        lateMs: Math.round(lateMs),
        cpuWaitMs: Math.round(cpuWaitMs),
        stallMs: Math.max(0, Math.round(lateMs - cpuWaitMs)),
        cpuMs: Math.round(cpuMs),
        mainWaitMs: Math.round(mainWaitMs),
        helpersWaitMs: Math.round(helpersWaitedMs),
      });
      if (late.length > KEEP) late.shift();
    }
    lastAt = now;
    last = s;
    lastHelpers = h;
  }, TICK_MS).unref();

  setInterval(() => {
    writeFileSync(`${target}.tmp`, JSON.stringify({ pid: process.pid, tickMs: TICK_MS, noteMs: NOTE_MS, ticks, writtenAt: Date.now(), late }));
    renameSync(`${target}.tmp`, target);
  }, REPORT_EVERY_MS).unref();
}
