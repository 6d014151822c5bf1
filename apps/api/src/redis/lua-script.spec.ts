import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script';

/**
 * A stand-in for one Redis server and its clients' pipelines: every command is processed later,
 * in the order it was sent, as Redis does; a script is known once an EVAL has run (SCRIPT FLUSH or
 * a restart forgets it). The script here writes its argument to a register.
 */
class PipelinedRedis {
  known = false;
  readonly written: string[] = [];
  private queue = Promise.resolve();

  private process<T>(run: () => T): Promise<T> {
    const done = this.queue.then(run);
    this.queue = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  evalsha(_sha: string, _keys: number, _key: string, value: string): Promise<string> {
    return this.process(() => {
      if (!this.known) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      this.written.push(value);
      return value;
    });
  }

  eval(_source: string, _keys: number, _key: string, value: string): Promise<string> {
    return this.process(() => {
      this.known = true;
      this.written.push(value);
      return value;
    });
  }

  asRedis(): Redis {
    return this as unknown as Redis;
  }
}

describe('LuaScript', () => {
  const script = new LuaScript(`redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1]`);

  it('lands one client\'s calls in the order they were sent, also when the server learns the script between them', async () => {
    const server = new PipelinedRedis();
    const first = script.run(server.asRedis(), ['title'], ['rename 1']);
    // Another replica's EVAL (its own fallback) reaches Redis in between and makes the script known.
    const other = server.eval('…', 1, 'progress', 'other replica');
    const second = script.run(server.asRedis(), ['title'], ['rename 2']);
    await Promise.all([first, other, second]);
    expect(server.written.filter((v) => v.startsWith('rename'))).toEqual(['rename 1', 'rename 2']);
  });

  it('answers with what the script returned, and passes other errors on', async () => {
    const server = new PipelinedRedis();
    await expect(script.run(server.asRedis(), ['k'], ['v'])).resolves.toBe('v');
    const broken = { eval: () => Promise.reject(new Error('ERR wrong number of arguments')), evalsha: () => Promise.reject(new Error('ERR wrong number of arguments')) };
    await expect(script.run(broken as unknown as Redis, ['k'], [])).rejects.toThrow('wrong number');
  });
});
