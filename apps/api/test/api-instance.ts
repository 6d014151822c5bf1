import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ClientToServerEvents, JoinedSession, Media, ServerToClientEvents, SessionSnapshot } from '@watch-party/contracts';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { startServer } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ApiInstance {
  url: string;
  app: NestExpressApplication;
  close(): Promise<void>;
}

/**
 * A real API on a free loopback port, in this process. Unless the test names one, it gets a
 * DATA_DIR of its own (removed on close): two instances never share an embedded store.
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiInstance> {
  const ownDataDir = env['DATA_DIR'] ? null : mkdtempSync(join(tmpdir(), 'wp-api-data-'));
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'error',
    SESSION_CREATE_PER_MIN: '100000',
    RTMP_PORT: '0',
    ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}),
    ...env,
  });
  const app = await startServer(config);
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    close: async () => {
      await app.close();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

export async function api<T = unknown>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(base + path, {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Connects a real socket.io-client with a token and resolves with its first snapshot. */
export function connect(url: string, token: string): Promise<{ socket: ClientSocket; snapshot: SessionSnapshot }> {
  const socket: ClientSocket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('session:snapshot', (snapshot) => resolve({ socket, snapshot }));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Resolves with the next event matching `predicate`, or rejects after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  predicate: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
  ms = 5000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler as never);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, ms);
    const handler = (...args: Parameters<ServerToClientEvents[E]>) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler as never);
      resolve(args[0]);
    };
    socket.on(event, handler as never);
  });
}

/** Emits with an acknowledgement and resolves with the ack. */
export function request<E extends keyof ClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
): Promise<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0]> {
  return rawRequest(socket, event, payload) as never;
}

/** Any event name and payload, typed or not (bad-input tests); resolves with the ack. */
export function rawRequest(
  socket: ClientSocket,
  event: string,
  payload: unknown,
): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 10_000);
    (socket.emit as unknown as (e: string, p: unknown, ack: (a: never) => void) => void).call(socket, event, payload, (ack: never) => {
      clearTimeout(timer);
      resolve(ack);
    });
  });
}

/** Creates a party on `base` and joins `guests` to it; returns each one's token and id. */
export async function partyWith(base: string, guests: string[], body: Record<string, unknown> = {}) {
  const host = await api<JoinedSession>(base, '/api/sessions', { body: { hostName: 'Host', ...body } });
  if (host.status !== 201) throw new Error(`create failed: ${JSON.stringify(host.body)}`);
  const joined: JoinedSession[] = [];
  for (const name of guests) {
    const res = await api<JoinedSession>(base, `/api/sessions/${host.body.session.id}/participants`, { body: { name } });
    if (res.status !== 201) throw new Error(`join failed: ${JSON.stringify(res.body)}`);
    joined.push(res.body);
  }
  return { host: host.body, guests: joined, sessionId: host.body.session.id };
}

/** Polls `GET /api/media/:id` until `until` holds (or throws after `ms`). */
export async function waitForMedia(base: string, id: string, until: (m: Media) => boolean, ms = 60_000): Promise<Media> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = (await api<Media>(base, `/api/media/${id}`)).body;
    if (until(m)) return m;
    if (Date.now() > deadline) throw new Error(`media ${id} never reached the state: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every file under `dir`, recursively (e.g. MEDIA_DIR, `.incoming` included). */
export const filesIn = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
