/** Longest a spec waits for real file work (a temp dir) to show. */
const FILE_WORK_MAX_MS = 2000;

/**
 * Some rules touch a real folder (a temp dir in unit specs): file calls finish on the thread
 * pool, not on a FakeClock tick. This turns the event loop (no timers) until `done` holds, and
 * fails the test if it does not within FILE_WORK_MAX_MS.
 */
export async function afterFileWork(done: () => boolean | Promise<boolean>, what = 'the file work'): Promise<void> {
  const deadline = performance.now() + FILE_WORK_MAX_MS;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`${what} did not finish within ${FILE_WORK_MAX_MS} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
