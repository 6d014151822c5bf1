import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { StallLogEntry, TimedPlayLogEntry } from '@watch-party/sync-core';

export interface Identity {
  sessionId: string;
  participantId: string;
  token: string;
  name: string;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type Joined = { session: { id: string }; participantId: string; token: string };

export async function createParty(server: string, hostName: string, extra: Record<string, unknown> = {}): Promise<Identity> {
  const r = await post<Joined>(`${server}/api/sessions`, { hostName, name: 'Sync test', ...extra });
  return { sessionId: r.session.id, participantId: r.participantId, token: r.token, name: hostName };
}

export async function joinParty(server: string, sessionId: string, name: string): Promise<Identity> {
  const r = await post<Joined>(`${server}/api/sessions/${sessionId}/participants`, { name });
  return { sessionId, participantId: r.participantId, token: r.token, name };
}

export interface Member {
  identity: Identity;
  context: BrowserContext;
  page: Page;
}

/** The app publishes its `window.__wp*` debug handles only with this flag (DebugHandlesService). */
export const DEBUG_FLAG = ['wp.debug', '1'] as const;

/** Sets the debug flag in every page of `context` before the app starts. */
export async function enableDebugHandles(context: BrowserContext): Promise<void> {
  await context.addInitScript(([key, value]) => localStorage.setItem(key, value), DEBUG_FLAG);
}

/**
 * Opens the watch page as an already-joined participant: the identity goes into
 * localStorage the way the app stores it, so no click happens (and with the default
 * autoplay policy the page has no user activation, like a reloaded tab). The debug flag is
 * set so the page publishes `window.__wpSync`.
 */
export async function openAs(
  browser: Browser,
  server: string,
  identity: Identity,
  viewport = { width: 1280, height: 800 },
  options: { waitForState?: boolean } = {},
): Promise<Member> {
  const context = await browser.newContext({ viewport });
  await enableDebugHandles(context);
  await context.addInitScript(
    ([key, value]) => {
      if (!localStorage.getItem(key)) localStorage.setItem(key, value);
    },
    [
      `wp.identity.${identity.sessionId}`,
      JSON.stringify({ token: identity.token, participantId: identity.participantId, name: identity.name }),
    ] as const,
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${identity.name}] page error: ${error.message}`));
  await page.goto(`${server}/watch/${identity.sessionId}`);
  // Every Playwright evaluation counts as a user gesture in Chromium (CDP userGesture: true),
  // so a test of the autoplay gate must not touch the page before the player tries to play.
  if (options.waitForState !== false) {
    await page.waitForFunction(() => window.__wpSync !== undefined && window.__wpSync.state !== null);
  }
  return { identity, context, page };
}

/**
 * Joins through the join card in a fresh browser context, as a guest opening the invite link
 * does (the app sends its stored device id). Resolves once the card is submitted; the caller
 * waits for what it expects (the room, or an error on the card).
 */
export async function joinInBrowser(
  browser: Browser,
  server: string,
  sessionId: string,
  name: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`));
  await page.goto(`${server}/watch/${sessionId}`);
  await page.fill('input[name="name"]', name);
  await page.click('[data-testid="join-submit"]');
  return { context, page };
}

export interface Sample {
  expected: number;
  current: number;
  paused: boolean;
  rate: number;
  phase: string;
}

declare global {
  interface Window {
    __wpSync?: {
      expectedPosition(): number;
      currentTime(): number;
      sample(): Sample;
      readonly offsetMs: number;
      readonly rttMs: number;
      readonly state: { playing: boolean; position: number; rate: number; rev: number; at: number } | null;
      readonly playLatencyMs: number;
      readonly lastResidualMs: number | null;
      readonly phase: string;
      readonly status: string;
      readonly needsGesture: boolean;
      /** Follower playbackRate writes so far, its strategy, and its last actions (SyncDebugHandle). */
      readonly rateWrites: number;
      readonly strategy: string;
      readonly actions: { atMs: number; kind: string; rate?: number; error: number }[];
      /** Each timed play(): when planned and called, with the latency used, and what it learned. */
      readonly timedPlays: TimedPlayLogEntry[];
      /** What the follower made of stalls after its rate writes. */
      readonly stalls: StallLogEntry[];
      emit(event: string, payload: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }>;
      dropConnection(): void;
    };
    __wpSamples?: { t: number; err: number; playing: boolean; sinceCommandMs: number }[];
  }
}

/** currentTime − expected (ms), both read in the same task of the page. */
export async function errorMs(page: Page): Promise<number> {
  return page.evaluate(() => {
    const s = window.__wpSync?.sample();
    return s ? (s.current - s.expected) * 1000 : Number.NaN;
  });
}

/** Resolves once the page's <video> has loaded metadata for the current source. */
export async function waitForMedia(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 1, undefined, { timeout });
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
