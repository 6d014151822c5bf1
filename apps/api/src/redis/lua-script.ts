import type { Redis } from 'ioredis';

/**
 * A Lua script, always sent with EVAL (Redis caches it by its hash). Not EVALSHA with an EVAL
 * fallback on NOSCRIPT: while Redis does not know the script yet (first use, a restart), the
 * refused calls would be sent again after later calls of the same client had already run, and
 * an older write (a rename, a progress value) would land last. A few hundred bytes more per call
 * buy the order the calls were made in.
 */
export class LuaScript {
  constructor(private readonly source: string) {}

  run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    return redis.eval(this.source, keys.length, ...keys, ...args);
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
