import { Semaphore } from './semaphore';

const tick = () => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const gate = new Semaphore(2);
    const releases: (() => void)[] = [];
    const started: number[] = [];
    const done = Array.from({ length: 5 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        await new Promise<void>((r) => releases.push(r));
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(gate.load).toEqual({ running: 2, waiting: 3 });
    releases[0]();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    releases[1]();
    releases[2]();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    releases[3]();
    releases[4]();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a task throws', async () => {
    const gate = new Semaphore(1);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a limit below 1', () => {
    expect(() => new Semaphore(0)).toThrow();
  });
});
