import { type CreatedLiveShow, type HandshakeErrorCode, handshakeErrorCode, type JoinedSession, LIVE_INGEST_NAMESPACE } from '@watch-party/contracts';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { api, type ApiInstance, startApi } from './api-instance';
import { freePort } from './free-port';

const LIMIT = 5;
const TOO_MANY = 'too many connections';
/** The refusal over the budget: its English message and the code clients act on. */
const REFUSED_TOO_MANY = { ok: false, message: TOO_MANY, code: 'TOO_MANY_CONNECTIONS' } as const;

async function hostToken(base: string): Promise<string> {
  const res = await api<JoinedSession>(base, '/api/sessions', { body: { hostName: 'Ann' } });
  expect(res.status).toBe(201);
  return res.body.token;
}

type Outcome = { ok: true; socket: Socket } | { ok: false; message: string; code: HandshakeErrorCode | null };

/** A real socket.io-client; resolves when the namespace answers: connected or connect_error. */
function open(url: string, opts: { token?: string; nsp?: string; forwardedFor?: string; auth?: Record<string, unknown> } = {}): Promise<Outcome> {
  const socket = io(`${url}${opts.nsp ?? ''}`, {
    auth: opts.auth ?? { token: opts.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    extraHeaders: opts.forwardedFor ? { 'X-Forwarded-For': opts.forwardedFor } : undefined,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ ok: true, socket }));
    socket.once('connect_error', (err) => {
      socket.close();
      resolve({ ok: false, message: err.message, code: handshakeErrorCode(err) });
    });
  });
}

/** Opens `n` at once; `refused` lists each refusal as `CODE: message`. */
async function openMany(n: number, make: () => Promise<Outcome>): Promise<{ sockets: Socket[]; refused: string[] }> {
  const outcomes = await Promise.all(Array.from({ length: n }, make));
  return {
    sockets: outcomes.flatMap((o) => (o.ok ? [o.socket] : [])),
    refused: outcomes.flatMap((o) => (o.ok ? [] : [`${o.code}: ${o.message}`])),
  };
}
const TOO_MANY_REFUSAL = `${REFUSED_TOO_MANY.code}: ${TOO_MANY}`;

async function refusals(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^wp_refusals_total\{reason="sockets_per_address"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Retries until `attempt` succeeds (the server notices a close a moment after the client). */
async function eventually(attempt: () => Promise<Outcome>, ms = 5000): Promise<Outcome> {
  const deadline = Date.now() + ms;
  for (;;) {
    const o = await attempt();
    if (o.ok || Date.now() > deadline) return o;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A raw Engine.IO v4 WebSocket, to send Socket.IO packets a well-behaved client never would
 * (several CONNECTs on one connection, or none at all).
 */
class RawConnection {
  readonly messages: string[] = [];
  readonly opened: Promise<boolean>;
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    this.opened = new Promise((resolve) => {
      this.ws.addEventListener('message', (e) => {
        const data = String(e.data);
        if (data === '2') return this.ws.send('3'); // ping -> pong
        this.messages.push(data);
        if (data.startsWith('0')) resolve(true);
      });
      this.ws.addEventListener('close', () => resolve(false));
      this.ws.addEventListener('error', () => resolve(false));
    });
    this.closed = new Promise((resolve) =>
      this.ws.addEventListener('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  send(packet: string) {
    this.ws.send(packet);
  }

  async waitFor(count: (m: string[]) => boolean, ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!count(this.messages) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return count(this.messages);
  }

  close() {
    this.ws.close();
  }
}

describe('Socket.IO sockets per client address', () => {
  let srv: ApiInstance;
  let token: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    srv = await startApi({ MAX_SOCKETS_PER_ADDRESS: String(LIMIT) });
    token = await hostToken(srv.url);
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => srv.close());

  it(`accepts ${LIMIT}, refuses the next with connect_error "${TOO_MANY}", and accepts again once one closed`, async () => {
    const before = await refusals(srv.url);
    const first = await openMany(LIMIT, () => open(srv.url, { token }));
    sockets.push(...first.sockets);
    expect(first.sockets).toHaveLength(LIMIT);
    const extra = await open(srv.url, { token });
    expect(extra).toEqual(REFUSED_TOO_MANY);
    expect((await refusals(srv.url)) - before).toBe(1);

    sockets.shift()?.close();
    const again = await eventually(() => open(srv.url, { token }));
    expect(again.ok).toBe(true);
    if (again.ok) sockets.push(again.socket);
    expect(await open(srv.url, { token })).toEqual(REFUSED_TOO_MANY);
  });

  it('a concurrent burst of 60 gets exactly the limit, and slots come back when sockets close or are refused later', async () => {
    const burst = await openMany(60, () => open(srv.url, { token }));
    sockets.push(...burst.sockets);
    expect(burst.sockets).toHaveLength(LIMIT);
    expect(burst.refused).toEqual(Array(60 - LIMIT).fill(TOO_MANY_REFUSAL));
    // Closed by the client, or refused by the token check after the first middleware: no slot is kept.
    sockets.splice(0).forEach((s) => s.close());
    const mixed = await eventually(() => open(srv.url, { token }));
    expect(mixed.ok).toBe(true);
    if (mixed.ok) sockets.push(mixed.socket);
    for (let i = 0; i < 10; i++) {
      expect(await open(srv.url, { token: 'not-a-jwt' })).toEqual({ ok: false, message: 'invalid token', code: 'TOKEN_INVALID' });
    }
    const rest = await openMany(LIMIT - 1, () => open(srv.url, { token }));
    sockets.push(...rest.sockets);
    expect(rest.sockets).toHaveLength(LIMIT - 1);
  });

  it('counts every namespace: a /live-ingest socket takes a slot, and /live-ingest is refused the same way', async () => {
    const live = await api<CreatedLiveShow>(srv.url, '/api/live', { body: { title: 'Show', creatorName: 'Ann' } });
    expect(live.status).toBe(201);
    const ingest = await open(srv.url, { nsp: LIVE_INGEST_NAMESPACE, auth: { streamKey: live.body.streamKey } });
    expect(ingest.ok).toBe(true);
    if (ingest.ok) sockets.push(ingest.socket);
    const rest = await openMany(LIMIT, () => open(srv.url, { token }));
    sockets.push(...rest.sockets);
    expect(rest.sockets).toHaveLength(LIMIT - 1);
    expect(rest.refused).toEqual([TOO_MANY_REFUSAL]);
    // Refused before the stream key is even looked at.
    expect(await open(srv.url, { nsp: LIVE_INGEST_NAMESPACE, auth: { streamKey: 'x'.repeat(43) } })).toEqual(REFUSED_TOO_MANY);
  });

  it('several CONNECT packets on one connection count one socket each', async () => {
    const raw = new RawConnection(srv.url);
    try {
      expect(await raw.opened).toBe(true);
      for (let i = 0; i < 3 * LIMIT; i++) raw.send(`40${JSON.stringify({ token })}`);
      const answered = (m: string[]) => m.filter((p) => p.startsWith('40') || p.startsWith('44'));
      expect(await raw.waitFor((m) => answered(m).length >= 3 * LIMIT)).toBe(true);
      const connected = raw.messages.filter((p) => p.startsWith('40'));
      const refused = raw.messages.filter((p) => p.startsWith('44'));
      expect(connected).toHaveLength(LIMIT);
      expect(refused).toHaveLength(2 * LIMIT);
      expect(refused.map((p) => JSON.parse(p.slice(2)))).toEqual(Array(2 * LIMIT).fill({ message: TOO_MANY, data: { code: 'TOO_MANY_CONNECTIONS' } }));
      // Nothing more on this address until that connection is gone; a connection whose only
      // CONNECT was refused is closed by the server.
      expect(await open(srv.url, { token })).toEqual(REFUSED_TOO_MANY);
      const second = new RawConnection(srv.url);
      expect(await second.opened).toBe(true);
      second.send(`40${JSON.stringify({ token })}`);
      const closedInTime = await Promise.race([second.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
      expect(closedInTime).toBe(true);
      expect(second.messages.filter((p) => p.startsWith('4'))).toEqual([
        `44${JSON.stringify({ message: TOO_MANY, data: { code: 'TOO_MANY_CONNECTIONS' } })}`,
      ]);
    } finally {
      raw.close();
    }
    const after = await eventually(() => open(srv.url, { token }));
    expect(after.ok).toBe(true);
    if (after.ok) sockets.push(after.socket);
  });

  it(`connections that join no namespace are capped at ${2 * LIMIT}; one more is told why, then closed`, async () => {
    const raws = Array.from({ length: 2 * LIMIT }, () => new RawConnection(srv.url));
    try {
      expect(await Promise.all(raws.map((r) => r.opened))).toEqual(Array(2 * LIMIT).fill(true));
      // Beyond the cap: opened, but closed within a second when it says nothing...
      const silent = new RawConnection(srv.url);
      raws.push(silent);
      expect(await silent.opened).toBe(true);
      const t0 = Date.now();
      await silent.closed;
      expect(Date.now() - t0).toBeLessThan(3000);
      // ...and a well-behaved client gets the reason.
      expect(await open(srv.url, { token })).toEqual(REFUSED_TOO_MANY);
      // The connections under the cap are still open.
      expect(raws.slice(0, 2 * LIMIT).every((r) => !r.isClosed)).toBe(true);
    } finally {
      raws.forEach((r) => r.close());
    }
    const after = await eventually(() => open(srv.url, { token }));
    expect(after.ok).toBe(true);
    if (after.ok) sockets.push(after.socket);
  });

  it('without TRUST_PROXY, X-Forwarded-For does not buy another budget', async () => {
    const a = await openMany(LIMIT, () => open(srv.url, { token, forwardedFor: '203.0.113.1' }));
    sockets.push(...a.sockets);
    expect(a.sockets).toHaveLength(LIMIT);
    expect(await open(srv.url, { token, forwardedFor: '203.0.113.2' })).toEqual(REFUSED_TOO_MANY);
  });
});

describe('Socket.IO sockets per client address behind a proxy (TRUST_PROXY)', () => {
  let srv: ApiInstance;
  let token: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    srv = await startApi({ MAX_SOCKETS_PER_ADDRESS: String(LIMIT), TRUST_PROXY: 'true' });
    token = await hostToken(srv.url);
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));
  afterAll(() => srv.close());

  it('gives each forwarded address its own budget, taken from X-Forwarded-For like req.ip', async () => {
    const a = await openMany(LIMIT, () => open(srv.url, { token, forwardedFor: '203.0.113.1' }));
    sockets.push(...a.sockets);
    expect(a.sockets).toHaveLength(LIMIT);
    expect(await open(srv.url, { token, forwardedFor: '203.0.113.1' })).toEqual(REFUSED_TOO_MANY);
    // One trusted hop (TRUST_PROXY=true): the address is what the proxy appended, the last entry;
    // what the client wrote before it buys no new budget.
    expect(await open(srv.url, { token, forwardedFor: '10.0.0.1, 203.0.113.1' })).toEqual(REFUSED_TOO_MANY);
    const b = await openMany(LIMIT, () => open(srv.url, { token, forwardedFor: '198.51.100.7' }));
    sockets.push(...b.sockets);
    expect(b.sockets).toHaveLength(LIMIT);
    expect(await open(srv.url, { token, forwardedFor: '198.51.100.7' })).toEqual(REFUSED_TOO_MANY);
    // The proxy's own address (no header) is one more client.
    const direct = await open(srv.url, { token });
    expect(direct.ok).toBe(true);
    if (direct.ok) sockets.push(direct.socket);
  });
});

/* ---------- the BUILT server, spawned as a real process ---------- */

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/**
 * /api/health as timed by curl, a process of its own: the test process is busy with hundreds of
 * clients, and its own event loop lag is not the server's.
 */
async function healthMs(url: string): Promise<number> {
  const { stdout } = await execFileAsync('curl', ['-s', '-o', '/dev/null', '-m', '5', '-w', '%{http_code} %{time_total}', `${url}/api/health`]);
  const [code, seconds] = stdout.trim().split(' ');
  expect(code).toBe('200');
  return Number(seconds) * 1000;
}

describe('built replica: a socket flood from one address', () => {
  let child: ChildProcess;
  let url: string;
  let dataDir: string;
  let output = '';
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('no API build: run `npx nx build api` first');
    dataDir = mkdtempSync(join(tmpdir(), 'wp-sockets-built-'));
    const port = await freePort();
    child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        RTMP_PORT: '0',
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        SESSION_CREATE_PER_MIN: '100000',
        MAX_SOCKETS_PER_ADDRESS: String(LIMIT),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const up = await fetch(`${url}/api/health/ready`).then((r) => r.status === 200, () => false);
      if (up) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`replica did not start: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stays up and cheap: 150 sockets and 150 bare connections get the limits, health answers, RSS and fds return', async () => {
    const pid = child.pid as number;
    const token = await hostToken(url);
    await new Promise((r) => setTimeout(r, 500));
    const idle = { rss: rssKiB(pid), fds: fds(pid) };

    // Three waves of 50 Socket.IO clients, then three of 50 bare connections, all kept open.
    const healthDuring: number[] = [];
    const peak = { ...idle };
    const probe = setInterval(() => {
      void healthMs(url).then((ms) => healthDuring.push(ms));
      peak.rss = Math.max(peak.rss, rssKiB(pid));
      peak.fds = Math.max(peak.fds, fds(pid));
    }, 100);
    const sockets: Socket[] = [];
    const refused: string[] = [];
    const bare: RawConnection[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const clients = await openMany(50, () => open(url, { token }));
      sockets.push(...clients.sockets);
      refused.push(...clients.refused);
      await new Promise((r) => setTimeout(r, 300));
    }
    for (let wave = 0; wave < 3; wave++) {
      const raws = Array.from({ length: 50 }, () => new RawConnection(url));
      bare.push(...raws);
      await Promise.all(raws.map((r) => r.opened));
      await new Promise((r) => setTimeout(r, 300));
    }
    // Connections beyond the cap are closed within a second.
    await new Promise((r) => setTimeout(r, 1500));
    const bareOpen = bare.filter((r) => !r.isClosed).length;
    clearInterval(probe);
    const during = { rss: Math.max(peak.rss, rssKiB(pid)), fds: Math.max(peak.fds, fds(pid)) };
    healthDuring.push(await healthMs(url));

    expect(sockets).toHaveLength(LIMIT);
    expect(refused).toEqual(Array(150 - LIMIT).fill(TOO_MANY_REFUSAL));
    // The sockets hold LIMIT connections; bare ones get the rest of the cap.
    expect(bareOpen).toBe(2 * LIMIT - LIMIT);
    expect(child.exitCode).toBeNull();
    expect(Math.max(...healthDuring)).toBeLessThan(500);
    expect(during.rss - idle.rss).toBeLessThan(300 * 1024);

    sockets.forEach((s) => s.close());
    bare.forEach((r) => r.close());
    const deadline = Date.now() + 5000;
    while (fds(pid) > idle.fds && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const after = { rss: rssKiB(pid), fds: fds(pid) };
    expect(after.fds).toBeLessThanOrEqual(idle.fds);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^wp_refusals_total\{reason="sockets_per_address"\} [1-9]\d*/m);
    // Refusals are logged once per address, not once per socket.
    expect(output.match(/sockets_per_address from/g) ?? []).toHaveLength(1);
    // And the address can connect again.
    const again = await eventually(() => open(url, { token }));
    expect(again.ok).toBe(true);
    if (again.ok) again.socket.close();
    console.log(
      `built replica socket flood: RSS KiB idle ${idle.rss} peak ${during.rss} after ${after.rss}; ` +
        `fds idle ${idle.fds} peak ${during.fds} after ${after.fds}; accepted ${sockets.length}/150 sockets (the rest refused "${TOO_MANY}"), ` +
        `${bareOpen}/150 bare connections still open after 1.5 s; health max ${Math.round(Math.max(...healthDuring))} ms over ${healthDuring.length} checks`,
    );
  }, 60_000);
});
