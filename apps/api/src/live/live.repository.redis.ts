import type { LiveStatus } from '@watch-party/contracts';
import type { Redis } from 'ioredis';
import { LUA_JSON_MERGE, LuaScript } from '../redis/lua-script';
import { type LivePatch, type LiveRecord, LiveRepository, MAX_TRACKED_HLS_VIEWERS } from './live.repository';

const SHOWS = 'wp:live:shows';
const INDEX = 'wp:live:index';
const KEYS = 'wp:live:keys';
const lockKey = (id: string) => `wp:live:pub:${id}`;
const hlsViewersKey = (id: string) => `wp:live:hlsv:${id}`;

// Merge in Lua so a status change and a heartbeat never clobber each other.
const updateScript = new LuaScript(`
${LUA_JSON_MERGE}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return false end
if ARGV[3] ~= '' then
  local status = cjson.decode(cur).status
  local ok = false
  for s in string.gmatch(ARGV[3], '[^,]+') do if status == s then ok = true end end
  if not ok then return false end
end
local next = merge(cur, ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], next)
return next`);

const refreshScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

const releaseScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

export class RedisLiveRepository extends LiveRepository {
  constructor(private readonly redis: Redis) {
    super();
  }

  async insert(record: LiveRecord) {
    await this.redis
      .multi()
      .hset(SHOWS, record.id, JSON.stringify(record))
      .hset(KEYS, record.keyHash, record.id)
      .zadd(INDEX, Date.parse(record.createdAt), record.id)
      .exec();
  }

  async get(id: string) {
    return fromJson(await this.redis.hget(SHOWS, id));
  }

  async idForKeyHash(keyHash: string) {
    return this.redis.hget(KEYS, keyHash);
  }

  async list() {
    const ids = await this.redis.zrevrange(INDEX, 0, -1);
    if (ids.length === 0) return [];
    const rows = await this.redis.hmget(SHOWS, ...ids);
    return rows.map(fromJson).filter((r): r is LiveRecord => r !== null);
  }

  async update(id: string, patch: LivePatch, from?: LiveStatus[]) {
    const next = await updateScript.run(this.redis, [SHOWS], [id, JSON.stringify(patch), from?.join(',') ?? '']);
    return fromJson(next as string | null);
  }

  async claimPublisher(id: string, owner: string, ttlMs: number) {
    return (await this.redis.set(lockKey(id), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async refreshPublisher(id: string, owner: string, ttlMs: number) {
    return (await refreshScript.run(this.redis, [lockKey(id)], [owner, ttlMs])) === 1;
  }

  async releasePublisher(id: string, owner: string) {
    await releaseScript.run(this.redis, [lockKey(id)], [owner]);
  }

  async publisherHeld(id: string) {
    return (await this.redis.exists(lockKey(id))) === 1;
  }

  override async markHlsViewer(id: string, viewer: string, nowMs: number, windowMs: number) {
    const key = hlsViewersKey(id);
    await this.redis
      .multi()
      .zadd(key, nowMs, viewer)
      .zremrangebyscore(key, '-inf', nowMs - windowMs)
      // Bounded like the in-memory map: the most recent MAX_TRACKED_HLS_VIEWERS stay.
      .zremrangebyrank(key, 0, -MAX_TRACKED_HLS_VIEWERS - 1)
      .pexpire(key, windowMs * 2)
      .exec();
  }

  override async countHlsViewers(id: string, nowMs: number, windowMs: number) {
    return this.redis.zcount(hlsViewersKey(id), `(${nowMs - windowMs}`, '+inf');
  }
}

function fromJson(json: string | null): LiveRecord | null {
  if (json === null) return null;
  const r = JSON.parse(json) as LiveRecord;
  // cjson turns an empty array into {}
  if (!Array.isArray(r.pdt)) r.pdt = [];
  return r;
}
