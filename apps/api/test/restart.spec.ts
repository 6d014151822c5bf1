import type { ChatMessage, CreatedLiveShow, JoinedSession, LiveShow, Media, PlaybackState, SessionInfo } from '@watch-party/contracts';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { APPLICATION_ID, MIGRATIONS } from '../src/store/migrations';
import { DB_FILE_NAME } from '../src/store/sqlite-store';
import { api, type ClientSocket, connect } from './api-instance';
import { makeClip } from './clips';
import { freePort } from './free-port';

/*
 * Without REDIS_URL everything a client was told is done lives in DATA_DIR/watch-party.db:
 * a built server is stopped (SIGTERM) or killed (kill -9, in the middle of chat, seeks and
 * joins) and started again on the same DATA_DIR; the library, shows, parties, tokens, roles,
 * chat and playback position are all there.
 */

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
const READY_WITHIN_MS = 30_000;
const EXIT_WITHIN_MS = 20_000;

interface Server {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];
const sockets: ClientSocket[] = [];

function serverEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['REDIS_URL', 'APP_SECRET', 'MEDIA_DIR', 'DATA_DIR', 'WEB_DIR']) delete env[k];
  return {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    RTMP_PORT: '0',
    LOG_LEVEL: 'warn',
    SESSION_CREATE_PER_MIN: '100000',
  };
}

function spawnServer(dataDir: string, port: number) {
  let out = '';
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: serverEnv(dataDir, port), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      children.delete(child);
      r(code);
    }),
  );
  return { child, exited, output: () => out };
}

async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const s = spawnServer(dataDir, port);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_WITHIN_MS;
  let gone = false;
  void s.exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the server exited at start:\n${s.output()}`);
    try {
      if ((await fetch(`${url}/api/health/ready`)).status === 200) return { url, ...s };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not come up:\n${s.output()}`);
    await sleep(100);
  }
}

/** A start that must fail: its exit code and what it printed. */
async function failedStart(dataDir: string): Promise<{ code: number | null; output: string }> {
  const s = spawnServer(dataDir, await freePort());
  const timer = setTimeout(() => s.child.kill('SIGKILL'), EXIT_WITHIN_MS);
  const code = await s.exited;
  clearTimeout(timer);
  return { code, output: s.output() };
}

async function stop(server: Server, signal: NodeJS.Signals): Promise<number | null> {
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), EXIT_WITHIN_MS);
  const code = await server.exited;
  clearTimeout(timer);
  return code;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function open(url: string, token: string) {
  const c = await connect(url, token);
  sockets.push(c.socket);
  return c;
}

/** Emit with an ack that may never come (the server is killed meanwhile). */
async function ask<T>(socket: ClientSocket, event: string, payload: unknown): Promise<T | null> {
  const timed = socket.timeout(3000) as unknown as { emitWithAck(e: string, p: unknown): Promise<T> };
  try {
    return await timed.emitWithAck(event, payload);
  } catch {
    return null;
  }
}

type Ack<T> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string } };

async function upload(base: string, file: string): Promise<Media> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), basename(file));
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return (await res.json()) as Media;
}

async function waitReady(base: string, id: string): Promise<Media> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = (await api<Media>(base, `/api/media/${id}`)).body;
    if (m.status === 'ready') return m;
    if (m.status === 'failed' || Date.now() > deadline) throw new Error(`media did not get ready: ${JSON.stringify(m)}`);
    await sleep(200);
  }
}

/** What the clients were told before the restart, checked after it. */
interface World {
  sessionId: string;
  password: string;
  host: JoinedSession;
  guest: JoinedSession;
  participantCount: number;
  chat: ChatMessage[];
  state: PlaybackState;
  media: Media;
  show: CreatedLiveShow;
  /** a party without password that takes joins during the kill -9 */
  openParty: { id: string; joined: JoinedSession[] } | null;
}

async function buildWorld(url: string): Promise<World> {
  const password = 'open sesame';
  const created = await api<JoinedSession>(url, '/api/sessions', { body: { hostName: 'Ann', name: 'Before restart', password } });
  expect(created.status).toBe(201);
  const host = created.body;
  const sessionId = host.session.id;
  const joined = await api<JoinedSession>(url, `/api/sessions/${sessionId}/participants`, { body: { name: 'Bo', password } });
  expect(joined.status).toBe(201);
  const guest = joined.body;

  const h = await open(url, host.token);
  const g = await open(url, guest.token);
  expect(await ask<Ack<object>>(h.socket, 'role:set', { participantId: guest.participantId, role: 'controller' })).toEqual({ ok: true });
  const chat = await ask<Ack<{ message: ChatMessage }>>(g.socket, 'chat:send', { text: 'see you after the restart ✓' });
  if (!chat?.ok) throw new Error(`chat: ${JSON.stringify(chat)}`);
  const play = await ask<Ack<{ state: PlaybackState }>>(h.socket, 'playback:control', { action: 'play' });
  if (!play?.ok) throw new Error(`play: ${JSON.stringify(play)}`);
  // The guest controls now: its seek is the last word on the position.
  const seek = await ask<Ack<{ state: PlaybackState }>>(g.socket, 'playback:control', { action: 'seek', position: 754.25 });
  if (!seek?.ok) throw new Error(`seek: ${JSON.stringify(seek)}`);
  expect(seek.state).toMatchObject({ playing: true, position: 754.25, rev: 2, by: guest.participantId });

  const media = await waitReady(url, (await upload(url, makeClip({ width: 640, height: 360, seconds: 2, name: 'Trip to the sea.mp4' }))).id);
  expect(media.hlsUrl).not.toBeNull();
  const show = await api<CreatedLiveShow>(url, '/api/live', { body: { title: 'Launch night', creatorName: 'Cy' } });
  expect(show.status).toBe(201);
  sockets.splice(0).forEach((s) => s.close());
  return { sessionId, password, host, guest, participantCount: 2, chat: [chat.message], state: seek.state, media, show: show.body, openParty: null };
}

/** Everything in `world` is served again, and the old tokens open the same seats. */
async function checkWorld(url: string, world: World) {
  const library = await api<Media[]>(url, '/api/media');
  const item = library.body.find((m) => m.id === world.media.id);
  expect(item).toEqual(world.media);
  expect((await fetch(url + world.media.hlsUrl)).status).toBe(200);
  expect((await fetch(`${url}/api/media/${world.media.id}/file`)).status).toBe(200);

  const show = await api<LiveShow>(url, `/api/live/${world.show.show.id}`);
  expect(show.status).toBe(200);
  expect(show.body).toMatchObject({ id: world.show.show.id, title: 'Launch night', status: 'scheduled' });
  expect((await api<LiveShow[]>(url, '/api/live')).body.map((s) => s.id)).toContain(world.show.show.id);

  const info = await api<SessionInfo>(url, `/api/sessions/${world.sessionId}`);
  expect(info.body).toMatchObject({ id: world.sessionId, name: 'Before restart', hasPassword: true, participantCount: world.participantCount });

  const g = await open(url, world.guest.token);
  expect(g.snapshot.you).toMatchObject({ id: world.guest.participantId, name: 'Bo', role: 'controller' });
  expect(g.snapshot.participants.find((p) => p.id === world.host.participantId)).toMatchObject({ name: 'Ann', role: 'host' });
  // Every answered message, in order (one sent but not yet answered at a kill may follow).
  const answered = new Set(world.chat.map((m) => m.id));
  expect(g.snapshot.chat.filter((m) => answered.has(m.id))).toEqual(world.chat);
  expect(g.snapshot.state.rev).toBeGreaterThanOrEqual(world.state.rev);
  if (g.snapshot.state.rev === world.state.rev) expect(g.snapshot.state).toEqual(world.state);
  const h = await open(url, world.host.token);
  expect(h.snapshot.you).toMatchObject({ id: world.host.participantId, role: 'host' });
  const creator = await open(url, world.show.token);
  expect(creator.snapshot.session.source).toEqual({ kind: 'live', showId: world.show.show.id });

  if (world.openParty) {
    const o = await api<SessionInfo>(url, `/api/sessions/${world.openParty.id}`);
    expect(o.body.participantCount).toBeGreaterThanOrEqual(world.openParty.joined.length + 1);
    const last = world.openParty.joined.at(-1) as JoinedSession;
    const seat = await open(url, last.token);
    expect(seat.snapshot.you.id).toBe(last.participantId);
  }
  sockets.splice(0).forEach((s) => s.close());
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error('no API build: run `npx nx build api` first (npm test does)');
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  for (const c of children) c.kill('SIGKILL');
  await sleep(50);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'wp-restart-'));
  dirs.push(d);
  return d;
};

describe('restart on the same DATA_DIR (built server, SQLite store)', () => {
  it('keeps library, shows, parties, tokens, roles, chat and position across SIGTERM and kill -9', async () => {
    const dataDir = tempDir();
    let server = await startServer(dataDir);
    // The admin token is generated at the first start and logged once, then only its hash is kept.
    const adminToken = /Admin token \(shown only this once[^)]*\): ([A-Za-z0-9_-]{43})/.exec(server.output())?.[1] ?? '';
    expect(adminToken).toHaveLength(43);
    const isAdmin = async (url: string) =>
      (await fetch(`${url}/api/admin/me`, { headers: { Authorization: `Bearer ${adminToken}` } })).status;
    expect(await isAdmin(server.url)).toBe(200);
    const world = await buildWorld(server.url);
    const pid0 = server.child.pid as number;
    const idle = { fds: fdCount(pid0), rss: rssMiB(pid0) };

    // (a) graceful stop and start
    expect(await stop(server, 'SIGTERM')).toBe(0);
    expect(readdirSync(dataDir).sort()).toEqual(['media', DB_FILE_NAME]); // WAL checkpointed, lock released
    let t = Date.now();
    server = await startServer(dataDir);
    const startAfterTerm = Date.now() - t;
    await checkWorld(server.url, world);
    expect(await isAdmin(server.url)).toBe(200);
    expect(server.output()).not.toMatch(/Admin token/);
    expect(readFileSync(join(dataDir, DB_FILE_NAME)).includes(adminToken)).toBe(false);
    // The password hash came back too.
    const wrong = await api(server.url, `/api/sessions/${world.sessionId}/participants`, { body: { name: 'Di', password: 'nope' } });
    expect(wrong.status).toBe(401);
    const right = await api<JoinedSession>(server.url, `/api/sessions/${world.sessionId}/participants`, { body: { name: 'Di', password: world.password } });
    expect(right.status).toBe(201);
    world.participantCount += 1;

    // (b) kill -9 in the middle of chat, seeks and joins; every answered write must be there
    const openParty = await api<JoinedSession>(server.url, '/api/sessions', { body: { hostName: 'Eve' } });
    world.openParty = { id: openParty.body.session.id, joined: [] };
    const h = await open(server.url, world.host.token);
    const g = await open(server.url, world.guest.token);
    const pid1 = server.child.pid as number;
    let killed = false;
    let busy = { fds: 0, rss: 0 };
    const killAt = Date.now() + 1500;
    const seeks = (async () => {
      for (let i = 1; !killed; i++) {
        const ack = await ask<Ack<{ state: PlaybackState }>>(h.socket, 'playback:control', { action: 'seek', position: 1000 + i });
        if (ack?.ok) world.state = ack.state;
        if (Date.now() >= killAt) {
          busy = { fds: fdCount(pid1), rss: rssMiB(pid1) };
          // Right after an answer: that write, and all before it, must survive.
          killed = server.child.kill('SIGKILL');
          return;
        }
        await sleep(60);
      }
    })();
    const chats = (async () => {
      for (let i = 1; !killed; i++) {
        const ack = await ask<Ack<{ message: ChatMessage }>>(g.socket, 'chat:send', { text: `burst ${i}` });
        // An answer that arrives at all was written before the kill: it must survive too.
        if (ack?.ok) world.chat.push(ack.message);
        await sleep(250);
      }
    })();
    const joins = (async () => {
      for (let i = 1; !killed; i++) {
        try {
          const res = await api<JoinedSession>(server.url, `/api/sessions/${world.openParty?.id}/participants`, { body: { name: `Guest ${i}` } });
          if (res.status === 201) world.openParty?.joined.push(res.body);
        } catch {
          return; // the server is gone
        }
        await sleep(40);
      }
    })();
    await seeks;
    expect(await server.exited).toBeNull(); // killed by the signal
    await Promise.all([chats, joins]);
    expect(world.chat.length).toBeGreaterThan(3);
    expect(world.state.rev).toBeGreaterThan(5);
    expect(world.openParty.joined.length).toBeGreaterThan(5);

    t = Date.now();
    server = await startServer(dataDir);
    const startAfterKill = Date.now() - t;
    await checkWorld(server.url, world);
    const pid2 = server.child.pid as number;
    const restarted = { fds: fdCount(pid2), rss: rssMiB(pid2) };
    expect(await stop(server, 'SIGTERM')).toBe(0);

    console.log(
      `restart: start after SIGTERM ${startAfterTerm} ms, after kill -9 ${startAfterKill} ms; ` +
        `acked before kill: ${world.chat.length} chat, rev ${world.state.rev}, ${world.openParty.joined.length} joins; ` +
        `fds idle/busy/restarted ${idle.fds}/${busy.fds}/${restarted.fds}; rss MiB ${idle.rss.toFixed(0)}/${busy.rss.toFixed(0)}/${restarted.rss.toFixed(0)}; ` +
        `db ${(readFileSync(join(dataDir, DB_FILE_NAME)).length / 1024).toFixed(0)} KiB`,
    );
  });

  it('refuses a second process on the same DATA_DIR while the first keeps serving', async () => {
    const dataDir = tempDir();
    const first = await startServer(dataDir);
    const second = await failedStart(dataDir);
    expect(second.code).toBe(1);
    expect(second.output.trim()).toBe(
      `Cannot start: ${join(dataDir, DB_FILE_NAME)} is in use by another watch-party process (pid ${first.child.pid}): one process per DATA_DIR (set REDIS_URL to run several replicas)`,
    );
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
    expect(await stop(first, 'SIGTERM')).toBe(0);
  });

  it('refuses to start on a corrupt database, a newer schema or an unusable DATA_DIR, with one clear line', async () => {
    const corruptDir = tempDir();
    const corrupt = join(corruptDir, DB_FILE_NAME);
    const junk = Buffer.from('SQLite format 3\0'.padEnd(4096, '#'));
    writeFileSync(corrupt, junk);
    const c = await failedStart(corruptDir);
    expect(c.code).toBe(1);
    expect(c.output.trim().split('\n')).toHaveLength(1);
    expect(c.output).toContain(`Cannot start: ${corrupt} is`);
    expect(c.output).toMatch(/left untouched/);
    expect(readFileSync(corrupt).equals(junk)).toBe(true);

    const newerDir = tempDir();
    const newer = join(newerDir, DB_FILE_NAME);
    const db = new DatabaseSync(newer);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${MIGRATIONS.length + 5}; CREATE TABLE meta (key TEXT)`);
    db.close();
    const before = readFileSync(newer);
    const n = await failedStart(newerDir);
    expect(n.code).toBe(1);
    expect(n.output.trim()).toBe(
      `Cannot start: ${newer} has schema version ${MIGRATIONS.length + 5}, newer than this build knows (${MIGRATIONS.length}): it was written by a newer watch-party; run that version (no downgrade)`,
    );
    expect(readFileSync(newer).equals(before)).toBe(true);

    const notDir = join(tempDir(), 'a-file');
    writeFileSync(notDir, 'x');
    const u = await failedStart(notDir);
    expect(u.code).toBe(1);
    expect(u.output.trim()).toMatch(new RegExp(`^Cannot start: DATA_DIR ${notDir} is not a (writable )?directory`));
  });
});
