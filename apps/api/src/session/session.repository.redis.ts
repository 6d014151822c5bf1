import type { ChatMessage, PlaybackState, QueueItem } from '@watch-party/contracts';
import type { Redis } from 'ioredis';
import { LUA_JSON_MERGE, LuaScript } from '../redis/lua-script';
import {
  type AddParticipantResult,
  type AddQueueItemResult,
  type BanResult,
  type CasResult,
  type ParticipantPatch,
  type ParticipantRecord,
  SessionRepository,
  type SessionPatch,
  type SessionRecord,
  withSessionDefaults,
} from './session.repository';

/** How long a replica counts as alive after its last heartbeat. */
const REPLICA_TTL_MS = 15_000;
const HEARTBEAT_MS = 5_000;

// All keys of one session share a hash tag, so scripts stay valid on Redis Cluster.
const keysOf = (sid: string) => {
  const base = `wp:{${sid}}`;
  return {
    session: `${base}:session`,
    participants: `${base}:participants`,
    state: `${base}:state`,
    conns: `${base}:conns`,
    chat: `${base}:chat`,
    /** one JSON item per element, first item first; never part of the session JSON */
    queue: `${base}:queue`,
    /** set of banned device ids */
    bans: `${base}:bans`,
  };
};
const allKeys = (sid: string) => Object.values(keysOf(sid));
const replicaKey = (replicaId: string) => `wp:replica:${replicaId}`;

const EXPIRE_ALL = `for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end`;

const addParticipantScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
${EXPIRE_ALL}
return 'ok'`);

const setConnectionScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[4], ARGV[2]) else redis.call('HSET', KEYS[4], ARGV[2], ARGV[3]) end
${EXPIRE_ALL}
return 1`);


// KEYS: all; ARGV: ttl, expectedRev, nextState, sessionPatch ('' for none)
const casStateScript = new LuaScript(`
${LUA_JSON_MERGE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local cur = redis.call('GET', KEYS[3])
if cjson.decode(cur)['rev'] ~= tonumber(ARGV[2]) then return {0, cur} end
redis.call('SET', KEYS[3], ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', KEYS[1], merge(redis.call('GET', KEYS[1]), ARGV[4])) end
${EXPIRE_ALL}
return {1}`);

// Lua: the position (1-based) and raw JSON of the queue item with id `id`, or nil.
const LUA_FIND_ITEM = `local function find(key, id)
  for i, raw in ipairs(redis.call('LRANGE', key, 0, -1)) do
    if cjson.decode(raw)['id'] == id then return i, raw end
  end
  return nil
end`;

// KEYS: all. The record and its queue as of one moment.
const getSessionScript = new LuaScript(`
return {redis.call('GET', KEYS[1]), redis.call('LRANGE', KEYS[6], 0, -1)}`);

// KEYS: all; ARGV: ttl, expectedRev, headId, nextState, sessionPatch ('' for none)
const casStateShiftQueueScript = new LuaScript(`
${LUA_JSON_MERGE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local cur = redis.call('GET', KEYS[3])
if cjson.decode(cur)['rev'] ~= tonumber(ARGV[2]) then return {0, cur} end
local head = redis.call('LINDEX', KEYS[6], 0)
if not head or cjson.decode(head)['id'] ~= ARGV[3] then return {0, cur} end
redis.call('LPOP', KEYS[6])
redis.call('SET', KEYS[3], ARGV[4])
if ARGV[5] ~= '' then redis.call('SET', KEYS[1], merge(redis.call('GET', KEYS[1]), ARGV[5])) end
${EXPIRE_ALL}
return {1}`);

// KEYS: all; ARGV: ttl, item, maxItems
const addQueueItemScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('LLEN', KEYS[6]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('RPUSH', KEYS[6], ARGV[2])
${EXPIRE_ALL}
return 'ok'`);

// KEYS: all; ARGV: ttl, itemId
const removeQueueItemScript = new LuaScript(`
${LUA_FIND_ITEM}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local i, raw = find(KEYS[6], ARGV[2])
if not i then return false end
redis.call('LREM', KEYS[6], 1, raw)
${EXPIRE_ALL}
return raw`);

// KEYS: all; ARGV: ttl, itemId, index (0-based)
const moveQueueItemScript = new LuaScript(`
${LUA_FIND_ITEM}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local i, raw = find(KEYS[6], ARGV[2])
if not i then return 0 end
redis.call('LREM', KEYS[6], 1, raw)
local pivot = redis.call('LINDEX', KEYS[6], tonumber(ARGV[3]))
if pivot then redis.call('LINSERT', KEYS[6], 'BEFORE', pivot, raw) else redis.call('RPUSH', KEYS[6], raw) end
${EXPIRE_ALL}
return 1`);

// KEYS: all; ARGV: ttl, deviceId, maxBans
const banDeviceScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('SISMEMBER', KEYS[7], ARGV[2]) == 0 and redis.call('SCARD', KEYS[7]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('SADD', KEYS[7], ARGV[2])
${EXPIRE_ALL}
return 'ok'`);

// KEYS: all; ARGV: ttl, patch
const updateSessionScript = new LuaScript(`
${LUA_JSON_MERGE}
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local next = merge(cur, ARGV[2])
redis.call('SET', KEYS[1], next)
${EXPIRE_ALL}
return next`);

// KEYS: all; ARGV: ttl, participantId, patch
const updateParticipantScript = new LuaScript(`
${LUA_JSON_MERGE}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if not cur then return false end
local next = merge(cur, ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], next)
${EXPIRE_ALL}
return next`);

// KEYS: all; ARGV: ttl, fromId, toId
const transferHostScript = new LuaScript(`
if ARGV[2] == ARGV[3] or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local from = redis.call('HGET', KEYS[2], ARGV[2])
local to = redis.call('HGET', KEYS[2], ARGV[3])
if not from or not to then return 0 end
from = cjson.decode(from)
to = cjson.decode(to)
if from['role'] ~= 'host' then return 0 end
from['role'] = 'controller'
to['role'] = 'host'
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(from), ARGV[3], cjson.encode(to))
${EXPIRE_ALL}
return 1`);

// KEYS: all; ARGV: ttl, participantId
const removeParticipantScript = new LuaScript(`
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
${EXPIRE_ALL}
return 1`);

// KEYS: all; ARGV: ttl, message, keep
const appendChatScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[5], ARGV[2])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[3]), -1)
${EXPIRE_ALL}
return 1`);

// KEYS: all, then the clientId key; ARGV: ttl, message, keep, onceMs
const appendChatOnceScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local once = KEYS[#KEYS]
local first = redis.call('GET', once)
if first then return first end
redis.call('SET', once, ARGV[2], 'PX', ARGV[4])
redis.call('RPUSH', KEYS[5], ARGV[2])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[3]), -1)
for i = 1, #KEYS - 1 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return ARGV[2]`);

// KEYS: all; ARGV: ttl, message, keep, mergeWithinMs. The merge rule of mergesInto().
const appendActivityScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local next = cjson.decode(ARGV[2])
local raw = redis.call('LINDEX', KEYS[5], -1)
if raw then
  local last = cjson.decode(raw)
  if last['kind'] == 'system' and type(last['system']) == 'table'
    and last['system']['event'] == next['system']['event'] and last['system']['by'] == next['system']['by']
    and next['at'] - last['at'] <= tonumber(ARGV[4]) then
    next['id'] = last['id']
    local merged = cjson.encode(next)
    redis.call('LSET', KEYS[5], -1, merged)
    ${EXPIRE_ALL}
    return merged
  end
end
redis.call('RPUSH', KEYS[5], ARGV[2])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[3]), -1)
${EXPIRE_ALL}
return ARGV[2]`);

const refreshScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${EXPIRE_ALL}
return 1`);

/**
 * Redis storage shared by every replica. Presence entries are tagged with the replica id;
 * a replica that dies stops its heartbeat and its sockets stop counting within 15 s.
 */
export class RedisSessionRepository extends SessionRepository {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly replicaId: string,
  ) {
    super();
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async create(session: SessionRecord, host: ParticipantRecord, state: PlaybackState, ttlMs: number) {
    const k = keysOf(session.id);
    const { queue, ...rest } = session;
    const multi = this.redis
      .multi()
      .del(k.queue)
      .set(k.session, patchJson(rest), 'PX', ttlMs)
      .hset(k.participants, host.id, JSON.stringify(host))
      .pexpire(k.participants, ttlMs)
      .set(k.state, JSON.stringify(state), 'PX', ttlMs);
    if (queue.length > 0) multi.rpush(k.queue, ...queue.map((item) => JSON.stringify(item))).pexpire(k.queue, ttlMs);
    await multi.exec();
  }

  async get(sessionId: string) {
    const [json, items] = (await getSessionScript.run(this.redis, allKeys(sessionId), [])) as [string | null, string[]];
    return this.withQueue(json, items);
  }

  async addParticipant(
    sessionId: string,
    participant: ParticipantRecord,
    maxParticipants: number,
    ttlMs: number,
  ): Promise<AddParticipantResult> {
    const result = await addParticipantScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      participant.id,
      JSON.stringify(participant),
      maxParticipants,
    ]);
    return result as AddParticipantResult;
  }

  async getParticipant(sessionId: string, participantId: string) {
    return parse<ParticipantRecord>(
      await this.redis.hget(keysOf(sessionId).participants, participantId),
    );
  }

  async listParticipants(sessionId: string) {
    const all = await this.redis.hvals(keysOf(sessionId).participants);
    return all
      .map((json) => JSON.parse(json) as ParticipantRecord)
      .sort((a, b) => a.joinedAt - b.joinedAt);
  }

  async countParticipants(sessionId: string) {
    return this.redis.hlen(keysOf(sessionId).participants);
  }

  async getState(sessionId: string) {
    return parse<PlaybackState>(await this.redis.get(keysOf(sessionId).state));
  }

  async casState(
    sessionId: string,
    expectedRev: number,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    const [ok, current] = (await casStateScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      expectedRev,
      JSON.stringify(next),
      sessionPatch ? patchJson(sessionPatch) : '',
    ])) as [number, string | undefined];
    return ok === 1 ? { ok: true } : { ok: false, current: parse<PlaybackState>(current ?? null) };
  }

  async casStateShiftQueue(
    sessionId: string,
    expectedRev: number,
    headId: string,
    next: PlaybackState,
    sessionPatch: SessionPatch | null,
    ttlMs: number,
  ): Promise<CasResult> {
    const [ok, current] = (await casStateShiftQueueScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      expectedRev,
      headId,
      JSON.stringify(next),
      sessionPatch ? patchJson(sessionPatch) : '',
    ])) as [number, string | undefined];
    return ok === 1 ? { ok: true } : { ok: false, current: parse<PlaybackState>(current ?? null) };
  }

  async addQueueItem(sessionId: string, item: QueueItem, maxItems: number, ttlMs: number) {
    const result = await addQueueItemScript.run(this.redis, allKeys(sessionId), [ttlMs, JSON.stringify(item), maxItems]);
    return result as AddQueueItemResult;
  }

  async removeQueueItem(sessionId: string, itemId: string, ttlMs: number) {
    const raw = await removeQueueItemScript.run(this.redis, allKeys(sessionId), [ttlMs, itemId]);
    return parse<QueueItem>(typeof raw === 'string' ? raw : null);
  }

  async moveQueueItem(sessionId: string, itemId: string, index: number, ttlMs: number) {
    return (await moveQueueItemScript.run(this.redis, allKeys(sessionId), [ttlMs, itemId, index])) === 1;
  }

  async banDevice(sessionId: string, deviceId: string, maxBans: number, ttlMs: number) {
    return (await banDeviceScript.run(this.redis, allKeys(sessionId), [ttlMs, deviceId, maxBans])) as BanResult;
  }

  async isDeviceBanned(sessionId: string, deviceId: string) {
    return (await this.redis.sismember(keysOf(sessionId).bans, deviceId)) === 1;
  }

  async updateSession(sessionId: string, patch: SessionPatch, ttlMs: number) {
    const next = await updateSessionScript.run(this.redis, allKeys(sessionId), [ttlMs, patchJson(patch)]);
    if (typeof next !== 'string') return null;
    return this.withQueue(next, await this.redis.lrange(keysOf(sessionId).queue, 0, -1));
  }

  async updateParticipant(sessionId: string, participantId: string, patch: ParticipantPatch, ttlMs: number) {
    const next = await updateParticipantScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      participantId,
      JSON.stringify(patch),
    ]);
    return parse<ParticipantRecord>(next as string | null);
  }

  async transferHost(sessionId: string, fromId: string, toId: string, ttlMs: number) {
    return (await transferHostScript.run(this.redis, allKeys(sessionId), [ttlMs, fromId, toId])) === 1;
  }

  async removeParticipant(sessionId: string, participantId: string, ttlMs: number) {
    return (await removeParticipantScript.run(this.redis, allKeys(sessionId), [ttlMs, participantId])) === 1;
  }

  async appendChat(sessionId: string, message: ChatMessage, keep: number, ttlMs: number) {
    const ok = await appendChatScript.run(this.redis, allKeys(sessionId), [ttlMs, JSON.stringify(message), keep]);
    return ok === 1;
  }

  async appendChatOnce(sessionId: string, message: ChatMessage, clientId: string, keep: number, onceMs: number, ttlMs: number) {
    // Its own key, expiring on its own; the hash tag keeps it beside the session's keys.
    const onceKey = `wp:{${sessionId}}:chat-once:${message.participantId}:${clientId}`;
    const standing = await appendChatOnceScript.run(this.redis, [...allKeys(sessionId), onceKey], [
      ttlMs,
      JSON.stringify(message),
      keep,
      onceMs,
    ]);
    return parse<ChatMessage>(typeof standing === 'string' ? standing : null);
  }

  async appendActivity(sessionId: string, message: ChatMessage, mergeWithinMs: number, keep: number, ttlMs: number) {
    const stored = await appendActivityScript.run(this.redis, allKeys(sessionId), [ttlMs, JSON.stringify(message), keep, mergeWithinMs]);
    return parse<ChatMessage>(typeof stored === 'string' ? stored : null);
  }

  async recentChat(sessionId: string, limit: number) {
    const list = await this.redis.lrange(keysOf(sessionId).chat, -limit, -1);
    return list.map((json) => JSON.parse(json) as ChatMessage);
  }

  async addConnection(sessionId: string, connectionId: string, participantId: string, ttlMs: number) {
    await setConnectionScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      `${this.replicaId}/${connectionId}`,
      participantId,
    ]);
  }

  async removeConnection(sessionId: string, connectionId: string, ttlMs: number) {
    await setConnectionScript.run(this.redis, allKeys(sessionId), [
      ttlMs,
      `${this.replicaId}/${connectionId}`,
      '',
    ]);
  }

  async connectedParticipantIds(sessionId: string) {
    const conns = await this.redis.hgetall(keysOf(sessionId).conns);
    const entries = Object.entries(conns);
    const replicas = [...new Set(entries.map(([id]) => id.slice(0, id.indexOf('/'))))];
    const alive = new Set<string>();
    if (replicas.length > 0) {
      const flags = await this.redis.mget(...replicas.map(replicaKey));
      replicas.forEach((r, i) => flags[i] !== null && alive.add(r));
    }
    const connected = new Set<string>();
    const stale: string[] = [];
    for (const [id, participantId] of entries) {
      if (alive.has(id.slice(0, id.indexOf('/')))) connected.add(participantId);
      else stale.push(id);
    }
    if (stale.length > 0) await this.redis.hdel(keysOf(sessionId).conns, ...stale);
    return connected;
  }

  async refreshExpiry(sessionId: string, ttlMs: number) {
    await refreshScript.run(this.redis, allKeys(sessionId), [ttlMs]);
  }

  async close() {
    clearInterval(this.heartbeat);
    await this.redis.del(replicaKey(this.replicaId)).catch(() => undefined);
  }

  private withQueue(json: string | null, items: string[]): SessionRecord | null {
    const session = parse<Omit<SessionRecord, 'queue'>>(json);
    return session ? withSessionDefaults({ ...session, queue: items.map((raw) => JSON.parse(raw) as QueueItem) }) : null;
  }

  private async beat() {
    try {
      await this.redis.set(replicaKey(this.replicaId), '1', 'PX', REPLICA_TTL_MS);
    } catch {
      // Redis down: readiness reports it; presence resumes with the next beat.
    }
  }
}

/**
 * A session record or patch as the merge script reads it. cjson writes an empty array back as `{}`, so
 * an empty subtitle list (which means the same as none) is left out.
 */
function patchJson(patch: object): string {
  return JSON.stringify(patch, (key, value: unknown) =>
    key === 'subtitles' && Array.isArray(value) && value.length === 0 ? undefined : value,
  );
}

function parse<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}
