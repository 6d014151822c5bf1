import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { type ClipServer, type MediaInfo, runFfmpeg, serveDir, uploadMedia } from './clip';
import { type Member, createParty, joinParty, openAs, waitForMedia } from './party';

const HELLO = 'Hello from the party';
const LATER = 'See you at the end';
/** Two cues: HELLO 2.0 -> 3.5 s, LATER 5.0 -> 6.5 s (the second one on two lines). */
const SRT = `1\n00:00:02,000 --> 00:00:03,500\n${HELLO}\n\n2\n00:00:05,000 --> 00:00:06,500\nSee you\nat the end\n`;
const LINK_CUE = 'Straight from the link';
/** A SubRip file served from another origin for a link source (fetched, converted, given as a blob). */
const LINK_SRT = `1\n00:00:01,000 --> 00:00:04,000\n${LINK_CUE}\n`;
/** Away from a cue's edges by this much, the cue must (or must not) be on screen: cuechange runs on the element's time updates. */
const EDGE_S = 0.35;

/** An 8 s H.264 MKV with a SubRip stream titled "English" (language eng), like a typical download. */
async function makeSubtitledMkv(dir: string): Promise<string> {
  const srt = join(dir, 'cues.srt');
  const out = join(dir, 'subtitled.mkv');
  writeFileSync(srt, SRT);
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30',
    '-i', srt,
    '-map', '0:v', '-map', '1',
    '-t', '8',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p',
    '-c:s', 'srt', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:0', 'title=English',
    out,
  ]);
  return out;
}

/** What is on screen and where the element is, read in one task of the page. */
async function look(page: Page): Promise<{ position: number; expected: number; cues: string[] }> {
  return page.evaluate(() => {
    const sample = window.__wpSync?.sample();
    return {
      position: sample?.current ?? Number.NaN,
      expected: sample?.expected ?? Number.NaN,
      cues: [...document.querySelectorAll<HTMLElement>('[data-testid="subtitle-cue"]')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => e.innerText.replace(/\s+/g, ' ').trim()),
    };
  });
}

/** The cue that must be on screen at `t`, null for none, 'edge' near a cue's start or end (either is fine). */
function cueAt(t: number): string | null | 'edge' {
  const windows: [number, number, string][] = [
    [2.0, 3.5, HELLO],
    [5.0, 6.5, LATER],
  ];
  for (const [start, end, text] of windows) {
    if (Math.abs(t - start) < EDGE_S || Math.abs(t - end) < EDGE_S) return 'edge';
    if (t > start && t < end) return text;
  }
  return null;
}

async function pickTrack(page: Page, label: string): Promise<void> {
  await page.click('[data-testid="captions"]');
  await page.click(`[role="menuitemradio"]:has-text("${label}")`);
  await page.waitForFunction(
    (l) => document.querySelector('[data-testid="captions"]')?.getAttribute('aria-label') === `Subtitles: ${l}`,
    label,
  );
}

async function control(page: Page, payload: unknown): Promise<void> {
  const ack = await page.evaluate((p) => window.__wpSync?.emit('playback:control', p), payload);
  if (!ack?.ok) throw new Error(`playback:control ${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
}

/** Waits until the element is paused at `position` and the cue on screen is `cue` (null: none). */
async function settlesAt(page: Page, position: number, cue: string | null): Promise<void> {
  await page.waitForFunction(
    ([p, text]) => {
      const video = document.querySelector('video');
      const shown = [...document.querySelectorAll<HTMLElement>('[data-testid="subtitle-cue"]')].map((e) => e.innerText.replace(/\s+/g, ' ').trim());
      return !!video && video.paused && Math.abs(video.currentTime - p) < 0.15 && (text === null ? shown.length === 0 : shown.includes(text));
    },
    [position, cue] as const,
    { timeout: 15_000 },
  );
}

describe('subtitles in real browsers', () => {
  let server: BuiltServer;
  let browser: Browser;
  let workDir: string;
  let media: MediaInfo;
  let links: ClipServer;
  let host: Member;
  let guest: Member;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-subs-'));
    writeFileSync(join(workDir, 'link.srt'), LINK_SRT);
    let clipPath: string;
    [server, browser, clipPath, links] = await Promise.all([startBuiltServer(), launchChromium(), makeSubtitledMkv(workDir), serveDir(workDir)]);
    media = await uploadMedia(server.url, clipPath, 'subtitled.mkv', {
      type: 'video/x-matroska',
      done: (m) => m.status === 'ready' && m.subtitles.length > 0,
    });
    const party = await createParty(server.url, 'Ann', { source: { kind: 'media', mediaId: media.id } });
    const bo = await joinParty(server.url, party.sessionId, 'Bo');
    [host, guest] = await Promise.all([openAs(browser, server.url, party), openAs(browser, server.url, bo, { width: 390, height: 844 })]);
  }, 85_000);

  afterAll(async () => {
    await host?.context.close();
    await guest?.context.close();
    await browser?.close();
    await server?.close();
    await links?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('host and guest each pick the extracted track; its cues follow the synced position while paused and while playing', async () => {
    expect(media.subtitles.map((t) => [t.label, t.lang])).toEqual([['English', 'eng']]);
    const both = [host.page, guest.page];
    await Promise.all(both.map((page) => waitForMedia(page)));
    // The real length from the server, not the stream's.
    for (const page of both) expect(await page.locator('[data-testid="time"]').innerText()).toMatch(/\/\s*0:08/);
    for (const page of both) await pickTrack(page, 'English');

    // Seeks while paused: the cue is there exactly inside its window, for both.
    await control(host.page, { action: 'seek', position: 2.7 });
    await Promise.all(both.map((page) => settlesAt(page, 2.7, HELLO)));
    await control(host.page, { action: 'seek', position: 4.2 });
    await Promise.all(both.map((page) => settlesAt(page, 4.2, null)));
    await control(host.page, { action: 'seek', position: 5.6 });
    await Promise.all(both.map((page) => settlesAt(page, 5.6, LATER)));
    // The cue's own line break is kept on screen.
    expect(await guest.page.locator('[data-testid="subtitle-cue"]').innerText()).toBe('See you\nat the end');
    const cueBox = await host.page.locator('[data-testid="subtitle-cue"] span').boundingBox();
    const controls = await host.page.locator('.player-controls').boundingBox();
    expect(cueBox && controls && cueBox.y + cueBox.height <= controls.y).toBe(true);

    // Plays from 1 s: sample both pages every ~100 ms through both cues.
    await control(host.page, { action: 'seek', position: 1 });
    await Promise.all(both.map((page) => settlesAt(page, 1, null)));
    await control(host.page, { action: 'play' });
    const samples: { who: string; position: number; expected: number; cues: string[] }[] = [];
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const [a, b] = await Promise.all(both.map((page) => look(page)));
      samples.push({ who: 'host', ...a }, { who: 'guest', ...b });
      if (a.position > 7 && b.position > 7) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await control(host.page, { action: 'pause' });

    const checked = samples.filter((s) => s.position > 1.2 && cueAt(s.position) !== 'edge');
    const wrong = checked.filter((s) => {
      const want = cueAt(s.position);
      return want === null ? s.cues.length > 0 : !s.cues.includes(want as string);
    });
    const drift = Math.max(...checked.map((s) => Math.abs(s.position - s.expected)));
    console.log(`${samples.length} samples (${checked.length} away from cue edges), ${wrong.length} wrong; max |position − expected| ${drift.toFixed(3)} s`);
    expect(wrong).toEqual([]);
    for (const who of ['host', 'guest']) {
      const mine = checked.filter((s) => s.who === who);
      // Each viewer was seen inside both cues and outside them, following the group's clock.
      expect(mine.filter((s) => cueAt(s.position) === HELLO).length).toBeGreaterThanOrEqual(3);
      expect(mine.filter((s) => cueAt(s.position) === LATER).length).toBeGreaterThanOrEqual(3);
      expect(mine.filter((s) => cueAt(s.position) === null).length).toBeGreaterThanOrEqual(3);
      // Loose: sync accuracy is sync.e2e's to measure; this only shows both follow the group.
      expect(Math.max(...mine.map((s) => Math.abs(s.position - s.expected)))).toBeLessThan(1);
    }
  }, 60_000);

  it('a link with a subtitles URL on another origin shows its cue; the remembered choice picks it again', async () => {
    const source = {
      kind: 'url',
      url: `${server.url}${media.hlsUrl}`,
      subtitles: [{ url: links.url('link.srt'), label: 'English', lang: 'en' }],
    };
    const ack = await host.page.evaluate((s) => window.__wpSync?.emit('source:set', { source: s }), source);
    expect(ack?.ok).toBe(true);
    const both = [host.page, guest.page];
    // Both chose "English" before: the link's track of that label is on again without a click.
    for (const page of both) {
      await page.waitForFunction(() => document.querySelector('[data-testid="captions"]')?.getAttribute('aria-label') === 'Subtitles: English');
    }
    await Promise.all(both.map((page) => waitForMedia(page)));
    await control(host.page, { action: 'seek', position: 2.5 });
    await Promise.all(both.map((page) => settlesAt(page, 2.5, LINK_CUE)));
    await control(host.page, { action: 'seek', position: 5 });
    await Promise.all(both.map((page) => settlesAt(page, 5, null)));

    // Off for the guest only: nothing is shared, the host keeps seeing the cue.
    await guest.page.click('[data-testid="captions"]');
    await guest.page.click('[role="menuitemradio"]:has-text("Off")');
    await control(host.page, { action: 'seek', position: 3 });
    await Promise.all([settlesAt(host.page, 3, LINK_CUE), settlesAt(guest.page, 3, null)]);
    expect(await host.page.locator('[data-testid="captions"]').getAttribute('aria-label')).toBe('Subtitles: English');
  }, 45_000);
});
