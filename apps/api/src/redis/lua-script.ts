import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by SHA, loaded again transparently after a Redis restart (NOSCRIPT). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.includes('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}

/**
 * Lua: `merge(json, patch)` returns `json` with the patch's top-level fields written over it
 * (cjson keeps 14 significant digits: fine for ms epochs). Scripts that update a JSON record in
 * place prepend it, so a concurrent write never clobbers fields it did not touch.
 */
export const LUA_JSON_MERGE = `local function merge(json, patch)
  local v = cjson.decode(json)
  for k, x in pairs(cjson.decode(patch)) do v[k] = x end
  return cjson.encode(v)
end`;
