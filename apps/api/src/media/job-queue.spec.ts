import { Logger } from '@nestjs/common';
import { InProcessJobQueue } from './job-queue';

/** A job handler whose jobs end when the test says so. */
function handler() {
  const running = new Map<string, { signal: AbortSignal; end: () => void; fail: (err: Error) => void }>();
  const order: string[] = [];
  const run = (id: string, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      order.push(id);
      running.set(id, { signal, end: resolve, fail: reject });
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    }).finally(() => running.delete(id));
  return { run, running, order };
}

/** Lets the queue's promise chains run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('InProcessJobQueue: the single-process transcode queue', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('runs at most `concurrency` jobs at once, first in first out', async () => {
    const queue = new InProcessJobQueue(2);
    const h = handler();
    await queue.start(h.run);
    for (const id of ['a', 'b', 'c', 'd']) await queue.enqueue(id);
    expect(h.order).toEqual(['a', 'b']);
    h.running.get('b')?.end();
    await settle();
    expect(h.order).toEqual(['a', 'b', 'c']);
    h.running.get('a')?.fail(new Error('ffmpeg failed')); // a failed job frees its slot too
    await settle();
    expect(h.order).toEqual(['a', 'b', 'c', 'd']);
    expect([...h.running.keys()].sort()).toEqual(['c', 'd']);
  });

  it('holds jobs enqueued before it starts until a handler is there', async () => {
    const queue = new InProcessJobQueue(1);
    const h = handler();
    await queue.enqueue('early');
    expect(h.order).toEqual([]);
    await queue.start(h.run);
    expect(h.order).toEqual(['early']);
  });

  it('cancels a waiting job (it never runs) and aborts a running one', async () => {
    const queue = new InProcessJobQueue(1);
    const h = handler();
    await queue.start(h.run);
    await queue.enqueue('running');
    await queue.enqueue('waiting');
    await queue.enqueue('next');
    const signal = h.running.get('running')?.signal;
    await queue.cancel('waiting');
    await queue.cancel('running');
    expect(signal?.aborted).toBe(true);
    await settle();
    expect(h.order).toEqual(['running', 'next']);
  });

  it('cancel returns only once a running job has stopped (nothing writes into its folder after)', async () => {
    const queue = new InProcessJobQueue(1);
    let stopped = false;
    await queue.start(
      (_id, signal) =>
        new Promise<void>((_resolve, reject) =>
          signal.addEventListener(
            'abort',
            // Like ffmpeg after SIGKILL: the job ends a little after the abort.
            () =>
              setTimeout(() => {
                stopped = true;
                reject(new Error('aborted'));
              }, 20),
            { once: true },
          ),
        ),
    );
    await queue.enqueue('running');
    await queue.cancel('running');
    expect(stopped).toBe(true);
    await queue.cancel('never-queued'); // nothing to wait for
  });

  it('on close, drops the waiting jobs and aborts the running ones', async () => {
    const queue = new InProcessJobQueue(1);
    const h = handler();
    await queue.start(h.run);
    await queue.enqueue('running');
    await queue.enqueue('waiting');
    const signal = h.running.get('running')?.signal;
    await queue.close();
    expect(signal?.aborted).toBe(true);
    await settle();
    expect(h.order).toEqual(['running']);
  });
});
