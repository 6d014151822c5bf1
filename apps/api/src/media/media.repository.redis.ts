import type { Redis } from 'ioredis';
import { LUA_JSON_MERGE, LuaScript } from '../redis/lua-script';
import { type MediaPatch, type MediaRecord, MediaRepository } from './media.repository';

const ITEMS = 'wp:media:items';
const INDEX = 'wp:media:index';

// Merge in Lua so concurrent progress writes and deletes never resurrect or clobber an item.
const updateScript = new LuaScript(`
${LUA_JSON_MERGE}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return false end
local next = merge(cur, ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], next)
return next`);

export class RedisMediaRepository extends MediaRepository {
  constructor(private readonly redis: Redis) {
    super();
  }

  async insert(record: MediaRecord) {
    await this.redis
      .multi()
      .hset(ITEMS, record.id, JSON.stringify(record))
      .zadd(INDEX, Date.parse(record.createdAt), record.id)
      .exec();
  }

  async get(id: string) {
    return fromJson(await this.redis.hget(ITEMS, id));
  }

  async list() {
    const ids = await this.redis.zrevrange(INDEX, 0, -1);
    if (ids.length === 0) return [];
    const rows = await this.redis.hmget(ITEMS, ...ids);
    return rows.map(fromJson).filter((r): r is MediaRecord => r !== null);
  }

  async update(id: string, patch: MediaPatch) {
    return fromJson((await updateScript.run(this.redis, [ITEMS], [id, JSON.stringify(patch)])) as string | null);
  }

  async delete(id: string) {
    const [[, removed]] = (await this.redis.multi().hdel(ITEMS, id).zrem(INDEX, id).exec()) as [[Error | null, number]];
    return removed === 1;
  }
}

function fromJson(json: string | null): MediaRecord | null {
  if (json === null) return null;
  const r = JSON.parse(json) as MediaRecord;
  // cjson turns an empty array into {}
  if (!Array.isArray(r.renditions)) r.renditions = [];
  if (r.subtitles !== undefined && !Array.isArray(r.subtitles)) r.subtitles = [];
  if (r.source?.subtitles !== undefined && !Array.isArray(r.source.subtitles)) r.source.subtitles = [];
  return r;
}
