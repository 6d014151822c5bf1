import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BuiltServer, startBuiltServer } from './built-server';
import { launchChromium } from './chromium';
import { makeShortClip } from './clip';

const tid = (id: string) => `[data-testid="${id}"]`;
const hasFocus = (page: Page, testId: string) =>
  page.waitForFunction((id) => document.activeElement?.getAttribute('data-testid') === id, testId);
/** The server wants at least 32 characters. */
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnop';

async function newBrowserPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  // A context is a separate profile: its own localStorage, like another browser.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  return { context, page };
}

async function openLibrary(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/library`);
  await page.waitForSelector(`${tid('media-item')}, ${tid('library-empty')}`);
}

/** Which of Rename / Delete the page offers on the one listed item. */
async function manageButtons(page: Page): Promise<{ rename: number; delete: number }> {
  const item = page.locator(tid('media-item'));
  return { rename: await item.locator(tid('rename-media')).count(), delete: await item.locator(tid('delete-media')).count() };
}

async function ownerKeyIds(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem('wp.ownerKeys') ?? '{}') as object));
}

async function signInAsAdmin(page: Page, token: string): Promise<void> {
  if ((await page.locator(tid('admin-panel')).count()) === 0) await page.click(tid('admin-sign-in'));
  await page.fill(tid('admin-token'), token);
  await page.click(tid('admin-submit'));
}

describe('library: this browser manages what it uploaded; the admin manages everything', () => {
  let server: BuiltServer;
  let browser: Browser;
  let a: Page;
  let b: Page;
  let workDir: string;
  let clipPath: string;
  let mediaId: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-owner-'));
    clipPath = join(workDir, 'Beach day.mp4');
    const [started] = await Promise.all([startBuiltServer({ ADMIN_TOKEN }), makeShortClip(clipPath)]);
    server = started;
    browser = await launchChromium();
    a = (await newBrowserPage(browser)).page;
    b = (await newBrowserPage(browser)).page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('A uploads a clip: told that this browser can manage it, and sees Rename and Delete', async () => {
    await openLibrary(a, server.url);
    await a.setInputFiles(tid('upload-input'), clipPath);
    await a.waitForSelector(tid('upload-done'), { timeout: 30_000 });
    const done = await a.locator(tid('upload-done')).innerText();
    expect(done).toContain('“Beach day” uploaded.');
    expect(done).toContain('This browser can rename or delete it; other browsers can’t.');
    mediaId = (await a.locator(tid('media-item')).getAttribute('data-media-id')) ?? '';
    expect(mediaId).not.toBe('');
    expect(await manageButtons(a)).toEqual({ rename: 1, delete: 1 });
    expect(await ownerKeyIds(a)).toEqual([mediaId]);
    // The key survives a reload.
    await openLibrary(a, server.url);
    expect(await manageButtons(a)).toEqual({ rename: 1, delete: 1 });
  }, 45_000);

  it('B sees the item without Rename or Delete (and the server would refuse B anyway)', async () => {
    await openLibrary(b, server.url);
    expect(await b.locator(tid('media-title')).innerText()).toBe('Beach day');
    expect(await manageButtons(b)).toEqual({ rename: 0, delete: 0 });
    expect(await b.locator(tid('media-item')).getAttribute('data-manage')).toBe('no');
    const res = await fetch(`${server.url}/api/media/${mediaId}`, { method: 'DELETE' });
    expect(res.status).toBe(401);
  });

  it('B signs in as admin: a wrong token is refused, the right one offers Delete and Rename, and survives a reload', async () => {
    await signInAsAdmin(b, 'not-the-token-at-all');
    await b.waitForSelector(tid('admin-error'));
    expect(await b.locator(tid('admin-error')).innerText()).toContain('not the admin token');
    expect(await manageButtons(b)).toEqual({ rename: 0, delete: 0 });

    await signInAsAdmin(b, ADMIN_TOKEN);
    await b.waitForSelector(tid('admin-signed-in'));
    expect(await manageButtons(b)).toEqual({ rename: 1, delete: 1 });
    await openLibrary(b, server.url);
    await b.waitForSelector(tid('admin-signed-in'));
    expect(await manageButtons(b)).toEqual({ rename: 1, delete: 1 });
  });

  it('A renames it with the keyboard; B sees the new title after a reload', async () => {
    await a.click(tid('rename-media'));
    expect(await a.locator(tid('rename-input')).inputValue()).toBe('Beach day');
    await hasFocus(a, 'rename-input');
    await a.keyboard.type('Something');
    await a.keyboard.press('Escape'); // cancels
    await a.waitForSelector(tid('rename-input'), { state: 'detached' });
    expect(await a.locator(tid('media-title')).innerText()).toBe('Beach day');
    await hasFocus(a, 'rename-media');

    await a.keyboard.press('Enter'); // Rename again, from the keyboard
    await hasFocus(a, 'rename-input');
    await a.keyboard.press('Control+A');
    await a.keyboard.type('Sunset walk');
    await a.keyboard.press('Enter');
    await a.waitForSelector(tid('rename-input'), { state: 'detached' });
    expect(await a.locator(tid('media-title')).innerText()).toBe('Sunset walk');

    await openLibrary(b, server.url);
    expect(await b.locator(tid('media-title')).innerText()).toBe('Sunset walk');
  });

  it('A deletes it; B no longer sees it, and A no longer keeps its key', async () => {
    await a.click(tid('delete-media'));
    await a.click(tid('confirm-delete'));
    await a.waitForSelector(tid('library-empty'));
    expect(await ownerKeyIds(a)).toEqual([]);
    await openLibrary(b, server.url);
    await b.waitForSelector(tid('library-empty'));
  });
});

describe('library: PUBLISH_POLICY=admin and a full library', () => {
  let server: BuiltServer;
  let browser: Browser;
  let page: Page;
  let workDir: string;
  let clipPath: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'wp-e2e-policy-'));
    clipPath = join(workDir, 'Beach day.mp4');
    await makeShortClip(clipPath);
    // Room for one clip, not two.
    const quota = Math.floor(statSync(clipPath).size * 1.5);
    server = await startBuiltServer({ ADMIN_TOKEN, PUBLISH_POLICY: 'admin', MEDIA_QUOTA_BYTES: String(quota) });
    browser = await launchChromium();
    page = (await newBrowserPage(browser)).page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('an upload without the admin token is refused and points to the sign-in; signed in, it goes through', async () => {
    await openLibrary(page, server.url);
    await page.setInputFiles(tid('upload-input'), clipPath);
    await page.waitForSelector(tid('upload-error'), { timeout: 30_000 });
    expect(await page.locator(tid('upload-error')).innerText()).toContain('Uploads need the admin token on this server.');
    expect(await page.locator(tid('media-item')).count()).toBe(0);

    await page.click(tid('upload-admin-sign-in'));
    await hasFocus(page, 'admin-token');
    await signInAsAdmin(page, ADMIN_TOKEN);
    await page.waitForSelector(tid('admin-signed-in'));

    await page.setInputFiles(tid('upload-input'), clipPath);
    await page.waitForSelector(tid('upload-done'), { timeout: 30_000 });
    expect(await page.locator(tid('media-item')).count()).toBe(1);
    expect(await manageButtons(page)).toEqual({ rename: 1, delete: 1 });
  }, 60_000);

  it('an upload past MEDIA_QUOTA_BYTES says the library is full', async () => {
    await page.setInputFiles(tid('upload-input'), clipPath);
    await page.waitForSelector(tid('upload-error'), { timeout: 30_000 });
    expect(await page.locator(tid('upload-error')).innerText()).toContain('The library is full');
    expect(await page.locator(tid('media-item')).count()).toBe(1);
  }, 45_000);
});
