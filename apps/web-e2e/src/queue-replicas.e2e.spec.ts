import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, freePort, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type ClipServer, makeShortClip, serveDir } from './clip';
import { type Member, createParty, joinParty, openAs, waitForMedia } from './party';

const tid = (id: string) => `[data-testid="${id}"]`;

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/** A real `redis-server` on a free loopback port, without persistence. */
async function startRedis(): Promise<{ url: string; close(): Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed: apt-get install redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wp-e2e-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await ping(port))) throw new Error(`redis-server did not start on port ${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface SessionView {
  source: { kind: string; url?: string } | null;
  queue: { title: string }[];
}

async function session(server: string, id: string): Promise<SessionView> {
  return (await (await fetch(`${server}/api/sessions/${id}`)).json()) as SessionView;
}

const activityLines = (page: Page, text: string) =>
  page.evaluate(
    (wanted) => [...document.querySelectorAll('[data-testid="chat-activity"]')].filter((li) => li.textContent?.includes(wanted)).length,
    text,
  );

describe('the queue moves on exactly once across two replicas', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let replicas: BuiltServer[];
  let clips: ClipServer;
  let browser: Browser;
  let workDir: string;
  const members: Member[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-queue-replicas-'));
    const [redisServer, launched] = await Promise.all([startRedis(), launchChromium(), makeShortClip(join(workDir, 'one.mp4'))]);
    redis = redisServer;
    browser = launched;
    copyFileSync(join(workDir, 'one.mp4'), join(workDir, 'two.mp4'));
    copyFileSync(join(workDir, 'one.mp4'), join(workDir, 'three.mp4'));
    clips = await serveDir(workDir);
    replicas = await Promise.all([startBuiltServer({ REDIS_URL: redis.url }), startBuiltServer({ REDIS_URL: redis.url })]);
  }, 90_000);

  afterAll(async () => {
    for (const member of members) await member.context.close();
    await browser?.close();
    for (const replica of replicas ?? []) await replica.close();
    await clips?.close();
    await redis?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('host on replica A, guest on replica B (both controllers, both report the end): one source change, one activity line, nothing skipped', async () => {
    const [a, b] = replicas;
    // Both may control, so both browsers report "ended" to their own replica at about the same moment.
    const party = await createParty(a.url, 'Ann', { controlPolicy: 'everyone', source: { kind: 'url', url: clips.url('one.mp4') } });
    const guest = await joinParty(b.url, party.sessionId, 'Bo');
    const host = await openAs(browser, a.url, party);
    members.push(host);
    const bo = await openAs(browser, b.url, guest);
    members.push(bo);
    for (const member of members) await waitForMedia(member.page);

    for (const name of ['two.mp4', 'three.mp4']) {
      const ack = await host.page.evaluate(
        ([url, title]) => window.__wpSync?.emit('queue:add', { source: { kind: 'url', url }, title }),
        [clips.url(name), name] as const,
      );
      expect(ack?.ok).toBe(true);
    }
    // Replica B's browser sees the queue the host built on replica A.
    await bo.page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="queue-title"]')].map((t) => t.textContent).join() === 'two.mp4,three.mp4',
      undefined,
      { timeout: 5000 },
    );

    // Play the last 2.5 s of "one": a URL source has no known duration, so the controllers' "ended" moves it on.
    const duration = await host.page.evaluate(() => document.querySelector('video')?.duration ?? 8);
    const play = await host.page.evaluate((position) => window.__wpSync?.emit('playback:control', { action: 'play', position }), duration - 2.5);
    expect(play?.ok).toBe(true);
    const playedRev = await host.page.evaluate(() => window.__wpSync?.state?.rev ?? -1);

    for (const member of members) {
      await member.page.waitForFunction((rev) => (window.__wpSync?.state?.rev ?? -1) > rev, playedRev, { timeout: 10_000 });
    }
    // Give a duplicate advance (a second replica acting on its own "ended") time to show up.
    await new Promise((r) => setTimeout(r, 1500));

    for (const [member, replica] of [
      [host, a],
      [bo, b],
    ] as const) {
      const state = await member.page.evaluate(() => window.__wpSync?.state);
      expect(state).toMatchObject({ rev: playedRev + 1, action: 'source', playing: true });
      const view = await session(replica.url, party.sessionId);
      expect(view.source).toEqual({ kind: 'url', url: clips.url('two.mp4') });
      expect(view.queue.map((i) => i.title)).toEqual(['three.mp4']);
      expect(await member.page.locator(tid('queue-title')).allInnerTexts()).toEqual(['three.mp4']);
      await member.page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0.2, undefined, { timeout: 5000 });
      // One activity line for the move ("Up next", no "skipped"), and it names the first item.
      expect(await activityLines(member.page, 'Up next: “two.mp4”')).toBe(1);
      expect(await activityLines(member.page, 'Up next')).toBe(1);
      expect(await activityLines(member.page, 'skipped')).toBe(0);
    }
  });
});
