import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { JoinedSession, Media } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { ApiRequestError, FETCH, networkError } from '../../services/http';
import { LAST_NAME_KEY } from '../../services/identity-store.service';
import { ADMIN_TOKEN_KEY, OWNER_KEYS_KEY } from '../../services/manage-keys.service';
import { MEDIA_POLL_MS } from '../../services/media-library.service';
import { XHR_FACTORY } from '../../services/upload.service';
import { FakeXhr } from '../../testing/fake-xhr';
import { mediaItem } from '../../testing/media';
import { sessionInfo } from '../../testing/session';
import { OWNER_NOTE } from '../../components/media-upload/media-upload.component';
import { FORGOTTEN_TOKEN_MESSAGE } from '../../components/admin-sign-in/admin-sign-in.component';
import { LibraryPageComponent, labelFromFileName, mediaMeta, statusLabel, subtitleSummary } from './library-page.component';

const READY = mediaItem({ id: 'ReadyItem_000001', title: 'Beach day' });
const PROCESSING = mediaItem({
  id: 'Processing_00001',
  title: 'Concert',
  status: 'processing',
  progress: 0.42,
  hlsUrl: null,
  posterUrl: null,
});
const FAILED = mediaItem({
  id: 'FailedItem_00001',
  title: 'Broken',
  status: 'failed',
  progress: 0.3,
  error: 'transcoding failed; the original file is still available',
  hlsUrl: null,
});

const OTHER = mediaItem({ id: 'OtherItem_000001', title: 'Not mine' });
const OWNER_KEY = 'owner-key-of-ready-item';
const ADMIN_TOKEN = 'the-admin-token-0123456789abcdef0123';

/** What an earlier visit stored: owner keys by media id, and maybe the admin token. */
function remember(ownerKeys: Record<string, string>, adminToken?: string): void {
  const entries = Object.fromEntries(Object.entries(ownerKeys).map(([id, key]) => [id, { key, savedAt: 1 }]));
  localStorage.setItem(OWNER_KEYS_KEY, JSON.stringify(entries));
  if (adminToken) localStorage.setItem(ADMIN_TOKEN_KEY, adminToken);
}

function storedOwnerKeys(): string[] {
  return Object.keys(JSON.parse(localStorage.getItem(OWNER_KEYS_KEY) ?? '{}') as object).sort();
}

const JOINED: JoinedSession = {
  session: sessionInfo({ id: 'NewParty_0000001', name: 'Beach day', source: { kind: 'media', mediaId: READY.id } }),
  participantId: 'Participant_0001',
  token: 'tok',
};

describe('mediaMeta / statusLabel', () => {
  it('formats duration, size and date; labels the status', () => {
    expect(mediaMeta(READY)).toMatch(/^3:12 · 24\.5 MB · /);
    expect(mediaMeta({ ...READY, durationSec: null })).toMatch(/^24\.5 MB · /);
    expect(statusLabel(PROCESSING)).toBe('Processing 42%');
    expect(statusLabel(READY)).toBe('Ready');
    expect(statusLabel(FAILED)).toBe('Failed');
  });
});

describe('LibraryPageComponent', () => {
  let fixture: ComponentFixture<LibraryPageComponent>;
  let api: {
    listMedia: jest.Mock;
    getMedia: jest.Mock;
    deleteMedia: jest.Mock;
    renameMedia: jest.Mock;
    adminMe: jest.Mock;
    health: jest.Mock;
    createSession: jest.Mock;
  };
  let xhrs: FakeXhr[];
  let navigate: jest.SpyInstance;
  /** The subtitle routes go through fetch (multipart): each call waits for the test to answer it. */
  let fetches: { url: string; init: RequestInit; answer(status: number, body?: unknown): void; fail(): void }[];

  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(selector: string) => el().querySelector<T>(selector);
  const all = (selector: string) => [...el().querySelectorAll<HTMLElement>(selector)];
  const tid = (id: string) => `[data-testid="${id}"]`;
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  };
  const until = async (check: () => boolean, ms = 1000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not met');
      await settle();
    }
  };
  const item = (id: string) => q(`[data-media-id="${id}"]`) as HTMLElement;
  const key = (target: HTMLElement, k: string) => target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));

  async function open(): Promise<void> {
    fixture = TestBed.createComponent(LibraryPageComponent);
    await settle();
  }

  beforeEach(() => {
    localStorage.clear();
    xhrs = [];
    fetches = [];
    api = {
      listMedia: jest.fn().mockResolvedValue([]),
      getMedia: jest.fn(),
      deleteMedia: jest.fn().mockResolvedValue(undefined),
      renameMedia: jest.fn(),
      adminMe: jest.fn().mockResolvedValue(undefined),
      health: jest.fn().mockResolvedValue({ status: 'ok', transcoding: 'available' }),
      createSession: jest.fn().mockResolvedValue(JOINED),
    };
    TestBed.configureTestingModule({
      imports: [LibraryPageComponent],
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        { provide: MEDIA_POLL_MS, useValue: 5 },
        {
          provide: FETCH,
          useValue: (url: string, init: RequestInit) =>
            new Promise<Response>((resolve, reject) => {
              fetches.push({
                url,
                init,
                answer: (status, body) => {
                  const text = body === undefined ? '' : JSON.stringify(body);
                  resolve({ ok: status >= 200 && status < 300, status, statusText: '', text: () => Promise.resolve(text) } as Response);
                },
                fail: () => reject(new TypeError('Failed to fetch')),
              });
            }),
        },
        {
          provide: XHR_FACTORY,
          useValue: () => {
            const xhr = new FakeXhr();
            xhrs.push(xhr);
            return xhr.asXhr();
          },
        },
      ],
    });
    navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
  });

  it('shows skeletons while loading, then the empty state', async () => {
    let answer: (items: Media[]) => void = () => undefined;
    api.listMedia.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    await open();
    expect(q('.library-list')?.getAttribute('aria-busy')).toBe('true');
    expect(all('.skeleton').length).toBeGreaterThan(0);
    answer([]);
    await settle();
    expect(q(tid('library-empty'))?.textContent).toContain('No videos yet');
    expect(all('.skeleton')).toHaveLength(0);
    expect(q(tid('transcoding-unavailable'))).toBeNull();
  });

  it('says so when the server cannot transcode', async () => {
    api.health.mockResolvedValue({ status: 'ok', transcoding: 'unavailable' });
    await open();
    expect(q(tid('transcoding-unavailable'))?.textContent).toContain('Transcoding is unavailable');
  });

  it('shows a load error with a retry', async () => {
    api.listMedia.mockRejectedValueOnce(networkError()).mockResolvedValueOnce([READY]);
    await open();
    expect(q(tid('library-error'))?.textContent).toContain("Couldn't reach the server");
    q(tid('library-retry'))?.click();
    await settle();
    expect(all(tid('media-item'))).toHaveLength(1);
  });

  it('lists items with poster, meta and a status chip per state', async () => {
    api.listMedia.mockResolvedValue([PROCESSING, READY, FAILED]);
    api.getMedia.mockResolvedValue(PROCESSING); // still processing
    await open();
    expect(all(tid('media-title')).map((e) => e.textContent?.trim())).toEqual(['Concert', 'Beach day', 'Broken']);
    expect(q(tid('media-count'))?.textContent?.trim()).toBe('3');

    const processing = item(PROCESSING.id);
    expect(processing.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Processing 42%');
    expect(processing.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('42');
    expect(processing.querySelector('img')).toBeNull(); // no poster yet: placeholder

    const ready = item(READY.id);
    expect(ready.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Ready');
    expect(ready.querySelector('img')?.getAttribute('src')).toBe(READY.posterUrl);
    expect(ready.textContent).toContain('3:12');
    expect(ready.textContent).toContain('24.5 MB');

    const failed = item(FAILED.id);
    expect(failed.querySelector(tid('media-status'))?.textContent?.trim()).toBe('Failed');
    expect(failed.querySelector(tid('media-error'))?.textContent).toContain('transcoding failed');
  });

  it('polls processing items until they are ready, then stops', async () => {
    api.listMedia.mockResolvedValue([PROCESSING, READY]);
    api.getMedia
      .mockResolvedValueOnce({ ...PROCESSING, progress: 0.8, hlsUrl: '/x.m3u8' })
      .mockResolvedValue({ ...PROCESSING, status: 'ready', progress: 1, hlsUrl: '/x.m3u8', posterUrl: '/p.jpg' });
    await open();
    await until(() => item(PROCESSING.id).querySelector(tid('media-status'))?.textContent?.trim() === 'Ready');
    expect(api.getMedia).toHaveBeenCalledWith(PROCESSING.id);
    expect(api.getMedia).not.toHaveBeenCalledWith(READY.id);
    const calls = api.getMedia.mock.calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(api.getMedia.mock.calls.length).toBe(calls);
  });

  it('deletes after a confirmation, and "Keep" cancels', async () => {
    remember({ [READY.id]: OWNER_KEY });
    api.listMedia.mockResolvedValue([READY]);
    await open();
    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    expect(q(tid('confirm-delete'))).not.toBeNull();
    expect(document.activeElement?.id).toBe(`keep-${READY.id}`);
    (document.activeElement as HTMLElement).click();
    await settle();
    expect(q(tid('confirm-delete'))).toBeNull();
    expect(api.deleteMedia).not.toHaveBeenCalled();

    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    q(tid('confirm-delete'))?.click();
    await settle();
    expect(api.deleteMedia).toHaveBeenCalledWith(READY.id, OWNER_KEY);
    expect(all(tid('media-item'))).toHaveLength(0);
    expect(q(tid('library-empty'))).not.toBeNull();
    expect(storedOwnerKeys()).toEqual([]); // the key of a deleted item is of no use
  });

  it('keeps the item and explains when the delete fails', async () => {
    remember({ [READY.id]: OWNER_KEY });
    api.listMedia.mockResolvedValue([READY]);
    api.deleteMedia.mockRejectedValue(networkError());
    await open();
    (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
    await settle();
    q(tid('confirm-delete'))?.click();
    await settle();
    expect(q(tid('delete-error'))?.textContent).toContain('server unreachable');
    expect(all(tid('media-item'))).toHaveLength(1);
  });

  describe('what this browser may manage', () => {
    const buttons = (id: string) =>
      [tid('watch-together'), tid('rename-media'), tid('delete-media')].map((s) => item(id).querySelector(s) !== null);

    it('offers Rename and Delete only on items this browser holds an owner key for', async () => {
      remember({ [READY.id]: OWNER_KEY });
      api.listMedia.mockResolvedValue([READY, OTHER]);
      await open();
      expect(buttons(READY.id)).toEqual([true, true, true]);
      expect(buttons(OTHER.id)).toEqual([true, false, false]);
      expect(item(OTHER.id).getAttribute('data-manage')).toBe('no');
      expect(api.adminMe).not.toHaveBeenCalled(); // no token stored: nothing to check
    });

    it('a stranger (no keys, no admin token) sees every item without Rename or Delete', async () => {
      api.listMedia.mockResolvedValue([READY, OTHER]);
      await open();
      expect(buttons(READY.id)).toEqual([true, false, false]);
      expect(buttons(OTHER.id)).toEqual([true, false, false]);
      expect(q(tid('admin-sign-in'))?.textContent).toContain('Admin sign-in');
    });

    it('drops the keys of items that no longer exist when the library loads', async () => {
      remember({ [READY.id]: OWNER_KEY, Deleted_Elsewhere1: 'old-key' });
      api.listMedia.mockResolvedValue([READY]);
      await open();
      expect(storedOwnerKeys()).toEqual([READY.id]);
    });

    it('keeps the keys when the library could not be loaded', async () => {
      remember({ [READY.id]: OWNER_KEY });
      api.listMedia.mockRejectedValue(networkError());
      await open();
      expect(storedOwnerKeys()).toEqual([READY.id]);
    });

    it('a stored admin token the server accepts offers Rename and Delete on every item', async () => {
      remember({}, ADMIN_TOKEN);
      api.listMedia.mockResolvedValue([READY, OTHER]);
      await open();
      expect(api.adminMe).toHaveBeenCalledWith(ADMIN_TOKEN);
      expect(buttons(READY.id)).toEqual([true, true, true]);
      expect(buttons(OTHER.id)).toEqual([true, true, true]);
      expect(q(tid('admin-signed-in'))?.textContent).toContain('Signed in as admin');
    });

    it('a stored admin token answered with 401 is forgotten, with a message', async () => {
      remember({}, ADMIN_TOKEN);
      api.adminMe.mockRejectedValue(new ApiRequestError(401, 'not the admin token', 'Unauthorized'));
      api.listMedia.mockResolvedValue([READY, OTHER]);
      await open();
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
      expect(q(tid('admin-notice'))?.textContent?.trim()).toBe(FORGOTTEN_TOKEN_MESSAGE);
      expect(buttons(OTHER.id)).toEqual([true, false, false]);
      expect(q(tid('admin-signed-in'))).toBeNull();
    });

    it('a stored admin token is kept while the server cannot be reached', async () => {
      remember({}, ADMIN_TOKEN);
      api.adminMe.mockRejectedValue(networkError());
      api.listMedia.mockResolvedValue([OTHER]);
      await open();
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBe(ADMIN_TOKEN);
      expect(buttons(OTHER.id)).toEqual([true, true, true]);
    });

    it('deletes with the admin token when this browser has no owner key for the item', async () => {
      remember({}, ADMIN_TOKEN);
      api.listMedia.mockResolvedValue([OTHER]);
      await open();
      (item(OTHER.id).querySelector(tid('delete-media')) as HTMLElement).click();
      await settle();
      q(tid('confirm-delete'))?.click();
      await settle();
      expect(api.deleteMedia).toHaveBeenCalledWith(OTHER.id, ADMIN_TOKEN);
      expect(all(tid('media-item'))).toHaveLength(0);
    });

    it('a 403 on delete says this browser may not manage the item and drops the refused key', async () => {
      remember({ [READY.id]: OWNER_KEY });
      api.listMedia.mockResolvedValue([READY]);
      api.deleteMedia.mockRejectedValue(new ApiRequestError(403, 'wrong key', 'Forbidden'));
      await open();
      (item(READY.id).querySelector(tid('delete-media')) as HTMLElement).click();
      await settle();
      q(tid('confirm-delete'))?.click();
      await settle();
      expect(q(tid('manage-error'))?.textContent).toContain('This browser may not manage this video');
      expect(all(tid('media-item'))).toHaveLength(1);
      expect(buttons(READY.id)).toEqual([true, false, false]);
      expect(storedOwnerKeys()).toEqual([]);
      expect(document.activeElement?.id).toBe(`watch-${READY.id}`);
    });

    it('a 401 on delete with the admin token forgets the token and says so', async () => {
      remember({}, ADMIN_TOKEN);
      api.listMedia.mockResolvedValue([OTHER]);
      api.deleteMedia.mockRejectedValue(new ApiRequestError(401, 'needs a token', 'Unauthorized'));
      await open();
      (item(OTHER.id).querySelector(tid('delete-media')) as HTMLElement).click();
      await settle();
      q(tid('confirm-delete'))?.click();
      await settle();
      expect(q(tid('manage-error'))?.textContent).toContain('may not manage this video');
      expect(q(tid('manage-error'))?.textContent).toContain('no longer accepts the admin token');
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
      expect(q(tid('admin-sign-in'))).not.toBeNull();
    });
  });

  describe('rename', () => {
    const input = () => q<HTMLInputElement>(tid('rename-input')) as HTMLInputElement;
    const type = (value: string) => {
      input().value = value;
      input().dispatchEvent(new Event('input'));
    };
    async function startRename(id = READY.id): Promise<void> {
      (item(id).querySelector(tid('rename-media')) as HTMLElement).click();
      await settle();
    }

    beforeEach(() => {
      remember({ [READY.id]: OWNER_KEY });
      api.listMedia.mockResolvedValue([READY]);
    });

    it('edits the title inline: the field starts with the title and has the focus; Escape cancels', async () => {
      await open();
      await startRename();
      expect(input().value).toBe('Beach day');
      expect(document.activeElement).toBe(input());
      expect(q(tid('rename-save'))).not.toBeNull();
      expect(q(tid('watch-together'))).toBeNull();
      type('Something else');
      key(input(), 'Escape');
      await settle();
      expect(q(tid('rename-input'))).toBeNull();
      expect(q(tid('media-title'))?.textContent).toBe('Beach day');
      expect(document.activeElement?.id).toBe(`rename-${READY.id}`);
      expect(api.renameMedia).not.toHaveBeenCalled();
    });

    it('Enter saves with the owner key; the new title shows and is announced', async () => {
      api.renameMedia.mockResolvedValue({ ...READY, title: 'Beach day 2' });
      await open();
      await startRename();
      type('  Beach day 2 ');
      key(input(), 'Enter');
      await settle();
      expect(api.renameMedia).toHaveBeenCalledWith(READY.id, { title: 'Beach day 2' }, OWNER_KEY);
      expect(q(tid('rename-input'))).toBeNull();
      expect(q(tid('media-title'))?.textContent).toBe('Beach day 2');
      expect(q('[role="status"]')?.textContent).toContain('Renamed to “Beach day 2”.');
      expect(document.activeElement?.id).toBe(`rename-${READY.id}`);
    });

    it('Save and Cancel buttons work too; an unchanged title sends nothing', async () => {
      await open();
      await startRename();
      q(tid('rename-cancel'))?.click();
      await settle();
      expect(q(tid('rename-input'))).toBeNull();
      await startRename();
      q(tid('rename-save'))?.click();
      await settle();
      expect(q(tid('rename-input'))).toBeNull();
      expect(api.renameMedia).not.toHaveBeenCalled();
    });

    it('refuses an empty title next to the field, without a request', async () => {
      await open();
      await startRename();
      type('   ');
      q(tid('rename-save'))?.click();
      await settle();
      expect(q(tid('rename-error'))?.textContent).toContain('Enter a title.');
      expect(input().getAttribute('aria-invalid')).toBe('true');
      expect(input().getAttribute('aria-describedby')).toBe(`rename-error-${READY.id}`);
      expect(api.renameMedia).not.toHaveBeenCalled();
    });

    it('shows a server refusal next to the item and keeps the edit open', async () => {
      api.renameMedia.mockRejectedValue(new ApiRequestError(400, 'title: at most 120 characters', 'Bad Request'));
      await open();
      await startRename();
      type('x');
      key(input(), 'Enter');
      await settle();
      expect(item(READY.id).querySelector(tid('rename-error'))?.textContent).toContain("Couldn't rename: title: at most 120 characters.");
      expect(input().value).toBe('x');
      expect(q(tid('media-title'))?.textContent).toBe('Beach day');
    });

    it('a 403 says this browser may not manage the item; Rename and Delete go away', async () => {
      api.renameMedia.mockRejectedValue(new ApiRequestError(403, 'wrong key', 'Forbidden'));
      await open();
      await startRename();
      type('Mine now');
      key(input(), 'Enter');
      await settle();
      expect(item(READY.id).querySelector(tid('manage-error'))?.textContent).toContain('This browser may not manage this video');
      expect(q(tid('rename-input'))).toBeNull();
      expect(q(tid('rename-media'))).toBeNull();
      expect(q(tid('delete-media'))).toBeNull();
    });

    it('a 404 drops the item and says it is gone', async () => {
      api.renameMedia.mockRejectedValue(new ApiRequestError(404, 'no such media', 'Not Found'));
      await open();
      await startRename();
      type('Late');
      key(input(), 'Enter');
      await settle();
      expect(all(tid('media-item'))).toHaveLength(0);
      expect(q(tid('gone-notice'))?.textContent).toContain('“Beach day” is no longer in the library.');
      expect(storedOwnerKeys()).toEqual([]);
    });
  });

  describe('admin sign-in', () => {
    const tokenField = () => q<HTMLInputElement>(tid('admin-token')) as HTMLInputElement;
    async function openSignIn(): Promise<void> {
      q(tid('admin-sign-in'))?.click();
      await settle();
    }
    async function submitToken(value: string): Promise<void> {
      tokenField().value = value;
      tokenField().dispatchEvent(new Event('input'));
      q(tid('admin-submit'))?.click();
      await settle();
    }

    beforeEach(() => api.listMedia.mockResolvedValue([OTHER]));

    it('opens a field for the token (a disclosure), and Cancel closes it', async () => {
      await open();
      const toggle = q(tid('admin-sign-in')) as HTMLElement;
      expect(toggle.getAttribute('aria-expanded')).toBe('false');
      expect(q(tid('admin-panel'))).toBeNull();
      await openSignIn();
      expect(toggle.getAttribute('aria-expanded')).toBe('true');
      expect(toggle.getAttribute('aria-controls')).toBe('admin-panel');
      expect(document.activeElement).toBe(tokenField());
      expect(tokenField().type).toBe('password');
      key(tokenField(), 'Escape');
      await settle();
      expect(q(tid('admin-panel'))).toBeNull();
      expect(document.activeElement).toBe(toggle);
    });

    it('200: keeps the token, offers Rename and Delete on every item, and a sign-out', async () => {
      await open();
      await openSignIn();
      await submitToken(` ${ADMIN_TOKEN} `);
      expect(api.adminMe).toHaveBeenCalledWith(ADMIN_TOKEN);
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBe(ADMIN_TOKEN);
      expect(q(tid('admin-panel'))).toBeNull();
      expect(q(tid('admin-notice'))?.textContent).toContain('You can now rename and delete every video');
      expect(item(OTHER.id).querySelector(tid('delete-media'))).not.toBeNull();
      expect(item(OTHER.id).querySelector(tid('rename-media'))).not.toBeNull();
      expect(document.activeElement?.getAttribute('data-testid')).toBe('admin-sign-out');

      q(tid('admin-sign-out'))?.click();
      await settle();
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
      expect(item(OTHER.id).querySelector(tid('delete-media'))).toBeNull();
      expect(q(tid('admin-notice'))?.textContent).toContain('Signed out');
      expect(document.activeElement?.getAttribute('data-testid')).toBe('admin-sign-in');
    });

    it('401: says the token is wrong, keeps nothing and no extra buttons', async () => {
      api.adminMe.mockRejectedValue(new ApiRequestError(401, 'not the admin token', 'Unauthorized'));
      await open();
      await openSignIn();
      await submitToken('wrong-token');
      expect(q(tid('admin-error'))?.textContent).toContain('This is not the admin token of this server');
      expect(tokenField().getAttribute('aria-invalid')).toBe('true');
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
      expect(item(OTHER.id).querySelector(tid('delete-media'))).toBeNull();
      expect(document.activeElement).toBe(tokenField());
    });

    it('an empty token is refused without a request; an unreachable server is said so', async () => {
      await open();
      await openSignIn();
      await submitToken('   ');
      expect(q(tid('admin-error'))?.textContent).toContain('Paste the admin token');
      expect(api.adminMe).not.toHaveBeenCalled();
      api.adminMe.mockRejectedValue(networkError());
      await submitToken('some-token');
      expect(q(tid('admin-error'))?.textContent).toContain('Server unreachable');
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
    });
  });

  it('"Watch together" with a remembered name creates the party with that video and opens it', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(api.createSession).toHaveBeenCalledWith({
      hostName: 'Ann',
      name: 'Beach day',
      source: { kind: 'media', mediaId: READY.id },
    });
    expect(navigate).toHaveBeenCalledWith(['/watch', JOINED.session.id]);
    expect(JSON.parse(localStorage.getItem(`wp.identity.${JOINED.session.id}`) ?? '{}')).toMatchObject({ token: 'tok', name: 'Ann' });
  });

  it('"Watch together" asks for a name inline first, and remembers it', async () => {
    api.listMedia.mockResolvedValue([READY]);
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(api.createSession).not.toHaveBeenCalled();
    const input = q<HTMLInputElement>(tid('host-name')) as HTMLInputElement;
    expect(document.activeElement).toBe(input);

    q(tid('start-party'))?.click();
    await settle();
    expect(q('[role="alert"]')?.textContent).toContain('Please enter your name');
    expect(input.getAttribute('aria-invalid')).toBe('true');

    input.value = '  Bo ';
    input.dispatchEvent(new Event('input'));
    q(tid('start-party'))?.click();
    await settle();
    expect(api.createSession).toHaveBeenCalledWith(expect.objectContaining({ hostName: 'Bo' }));
    expect(localStorage.getItem(LAST_NAME_KEY)).toBe('Bo');
    expect(navigate).toHaveBeenCalledWith(['/watch', JOINED.session.id]);
  });

  it('shows why a party could not be started', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    api.createSession.mockRejectedValue(new ApiRequestError(429, 'slow down', 'Too Many Requests'));
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(q(tid('start-error'))?.textContent).toContain('Too many parties');
    expect(navigate).not.toHaveBeenCalled();
  });

  it('a party for a video deleted meanwhile: asks the server for the item, drops it and says it is gone', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    api.createSession.mockRejectedValue(new ApiRequestError(400, 'source.mediaId names no media item', 'Bad Request'));
    api.getMedia.mockRejectedValue(new ApiRequestError(404, 'Not found', 'Not Found'));
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(api.getMedia).toHaveBeenCalledWith(READY.id);
    expect(all(tid('media-item'))).toHaveLength(0);
    expect(q(tid('gone-notice'))?.textContent).toContain(`“${READY.title}” is no longer in the library.`);
    expect(navigate).not.toHaveBeenCalled();
  });

  it('a 400 for a video still in the library shows the server message', async () => {
    localStorage.setItem(LAST_NAME_KEY, 'Ann');
    api.listMedia.mockResolvedValue([READY]);
    api.createSession.mockRejectedValue(new ApiRequestError(400, 'name: too long', 'Bad Request'));
    api.getMedia.mockResolvedValue(READY);
    await open();
    q(tid('watch-together'))?.click();
    await settle();
    expect(all(tid('media-item'))).toHaveLength(1);
    expect(q(tid('start-error'))?.textContent).toContain('name: too long');
    expect(q(tid('gone-notice'))).toBeNull();
  });

  describe('upload', () => {
    function choose(file: File): void {
      const input = q<HTMLInputElement>(tid('upload-input')) as HTMLInputElement;
      Object.defineProperty(input, 'files', { configurable: true, value: [file] });
      input.dispatchEvent(new Event('change'));
    }
    const clip = () => new File([new Uint8Array(2048)], 'party.mp4', { type: 'video/mp4' });

    it('shows progress, then the new item as processing', async () => {
      await open();
      choose(clip());
      await settle();
      expect(q(tid('upload-progress'))?.textContent).toContain('party.mp4');
      xhrs[0].progress(1024, 2048);
      await settle();
      expect(q(tid('upload-percent'))?.textContent).toContain('50%');
      expect(q('[aria-label="Upload progress"]')?.getAttribute('aria-valuenow')).toBe('50');

      const uploaded = mediaItem({ id: 'Uploaded_0000001', title: 'party', status: 'processing', progress: 0, hlsUrl: null });
      api.getMedia.mockResolvedValue(uploaded);
      xhrs[0].respond(201, uploaded);
      await settle();
      expect(q(tid('upload-progress'))).toBeNull();
      expect(q(tid('upload-done'))?.textContent).toContain('“party” uploaded.');
      expect(item(uploaded.id).querySelector(tid('media-status'))?.textContent?.trim()).toBe('Processing 0%');
    });

    it('keeps the owner key: tells the uploader this browser can manage the item, and offers Rename and Delete', async () => {
      api.listMedia.mockResolvedValue([OTHER]);
      await open();
      choose(clip());
      await settle();
      const uploaded = mediaItem({ id: 'Uploaded_0000001', title: 'party', status: 'processing', progress: 0, hlsUrl: null });
      api.getMedia.mockResolvedValue(uploaded);
      xhrs[0].respond(201, { ...uploaded, ownerKey: 'fresh-owner-key' });
      await settle();
      expect(q(tid('upload-done'))?.textContent?.trim()).toBe(`“party” uploaded. ${OWNER_NOTE}`);
      expect(item(uploaded.id).querySelector(tid('rename-media'))).not.toBeNull();
      expect(item(uploaded.id).querySelector(tid('delete-media'))).not.toBeNull();
      expect(item(OTHER.id).querySelector(tid('delete-media'))).toBeNull();
      expect(storedOwnerKeys()).toEqual([uploaded.id]);

      (item(uploaded.id).querySelector(tid('delete-media')) as HTMLElement).click();
      await settle();
      q(tid('confirm-delete'))?.click();
      await settle();
      expect(api.deleteMedia).toHaveBeenCalledWith(uploaded.id, 'fresh-owner-key');
    });

    it('a 401 says uploads need the admin token and points to the sign-in', async () => {
      await open();
      choose(clip());
      await settle();
      xhrs[0].respond(401, { statusCode: 401, error: 'Unauthorized', message: 'uploading needs the admin token' });
      await settle();
      expect(q(tid('upload-error'))?.textContent).toContain('Uploads need the admin token on this server.');
      expect(q(tid('admin-panel'))).not.toBeNull(); // opened for the token, focus left on the page
      q(tid('upload-admin-sign-in'))?.click();
      await settle();
      expect(document.activeElement?.getAttribute('data-testid')).toBe('admin-token');
    });

    it('a signed-in admin uploads with the token; a 401 then re-checks it and forgets a refused one', async () => {
      remember({}, ADMIN_TOKEN);
      await open();
      choose(clip());
      await settle();
      expect(xhrs[0].headers['Authorization']).toBe(`Bearer ${ADMIN_TOKEN}`);
      api.adminMe.mockRejectedValue(new ApiRequestError(401, 'not the admin token', 'Unauthorized'));
      xhrs[0].respond(401, { statusCode: 401, error: 'Unauthorized', message: 'uploading needs the admin token' });
      await settle();
      expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
      expect(q(tid('admin-notice'))?.textContent).toContain('no longer accepts the saved admin token');
      expect(q(tid('admin-sign-in'))).not.toBeNull();
    });

    it('cancel aborts the upload', async () => {
      await open();
      choose(clip());
      await settle();
      q(tid('upload-cancel'))?.click();
      await settle();
      expect(xhrs[0].aborted).toBe(true);
      expect(q(tid('upload-progress'))).toBeNull();
      expect(q(tid('upload-error'))).toBeNull();
      expect(q(tid('upload-done'))?.textContent).toContain('Upload cancelled');
    });

    it.each([
      [413, 'larger than the limit'],
      [415, 'not a video we can play'],
      [507, 'The library is full'],
    ])('explains a %i', async (status, text) => {
      await open();
      choose(clip());
      await settle();
      xhrs[0].respond(status, { statusCode: status, error: 'x', message: 'refused' });
      await settle();
      expect(q(tid('upload-error'))?.textContent).toContain(text);
    });

    it('explains a network error', async () => {
      await open();
      choose(clip());
      await settle();
      xhrs[0].fail();
      await settle();
      expect(q(tid('upload-error'))?.textContent).toContain('connection to the server was lost');
    });

    it('refuses an obvious non-video without uploading it', async () => {
      await open();
      choose(new File(['x'], 'photo.jpg', { type: 'image/jpeg' }));
      await settle();
      expect(xhrs).toHaveLength(0);
      expect(q(tid('upload-error'))?.textContent).toContain('not a video we can play');
    });
  });
  describe('subtitle tracks', () => {
    const EN = { id: 'TrackEn_0000001', label: 'English', lang: 'en', url: `/api/media/${READY.id}/subtitles/TrackEn_0000001.vtt` };
    const DIRECTOR = { id: 'TrackDir_000001', label: 'Director', lang: null, url: `/api/media/${READY.id}/subtitles/TrackDir_000001.vtt` };
    const WITH_EN = { ...READY, subtitles: [EN] };

    const panel = () => item(READY.id).querySelector<HTMLElement>(tid('subtitles-panel'));
    const inPanel = <T extends HTMLElement = HTMLElement>(id: string) => panel()?.querySelector<T>(tid(id)) ?? null;
    function chooseSubtitle(file: File): void {
      const input = inPanel<HTMLInputElement>('subtitle-file') as HTMLInputElement;
      Object.defineProperty(input, 'files', { configurable: true, value: [file] });
      input.dispatchEvent(new Event('change'));
    }
    function type(id: string, value: string): void {
      const input = inPanel<HTMLInputElement>(id) as HTMLInputElement;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
    const srt = (name = 'film.en.srt') => new File(['1\n00:00:01,000 --> 00:00:02,000\nHi\n'], name, { type: 'application/x-subrip' });
    async function openPanel(): Promise<void> {
      await open();
      item(READY.id).querySelector<HTMLElement>(tid('manage-subtitles'))?.click();
      await settle();
    }

    it('formats the summary and a label from the file name', () => {
      expect(subtitleSummary([EN, DIRECTOR])).toBe('English (en), Director');
      expect(labelFromFileName('film.en.SRT')).toBe('film.en');
      expect(labelFromFileName(`${'x'.repeat(50)}.vtt`)).toHaveLength(40);
    });

    it('everyone sees the tracks of an item; only a browser that may manage it gets the Subtitles panel', async () => {
      api.listMedia.mockResolvedValue([WITH_EN, { ...OTHER, subtitles: [DIRECTOR] }]);
      remember({ [READY.id]: OWNER_KEY });
      await open();
      expect(item(OTHER.id).querySelector(tid('subtitle-summary'))?.textContent).toContain('Subtitles: Director');
      expect(item(OTHER.id).querySelector(tid('manage-subtitles'))).toBeNull();
      const button = item(READY.id).querySelector<HTMLElement>(tid('manage-subtitles')) as HTMLElement;
      expect(button.getAttribute('aria-expanded')).toBe('false');
      button.click();
      await settle();
      expect(button.getAttribute('aria-expanded')).toBe('true');
      expect(button.getAttribute('aria-controls')).toBe(panel()?.id);
      const tracks = [...(panel()?.querySelectorAll(tid('subtitle-track')) ?? [])];
      expect(tracks.map((t) => [t.querySelector('.subs-label')?.textContent, t.querySelector('.subs-lang-tag')?.textContent])).toEqual([['English', 'language en']]);
      expect(document.activeElement).toBe(inPanel('subtitle-file'));
      key(item(READY.id), 'Escape');
      await settle();
      expect(panel()).toBeNull();
      expect(document.activeElement).toBe(button);
    });

    it('uploads a file with label and language and the owner key, busy meanwhile; the list refreshes', async () => {
      api.listMedia.mockResolvedValue([READY]);
      api.getMedia.mockResolvedValue({ ...READY, subtitles: [EN] });
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      expect(inPanel('subtitles-empty')).not.toBeNull();
      chooseSubtitle(srt());
      await settle();
      expect(inPanel<HTMLInputElement>('subtitle-label')?.value).toBe('film.en');
      type('subtitle-label', 'English');
      type('subtitle-lang', 'en');
      inPanel('subtitle-upload')?.click();
      await settle();

      expect(fetches).toHaveLength(1);
      const [call] = fetches;
      expect(call.url).toBe(`/api/media/${READY.id}/subtitles`);
      expect(call.init.method).toBe('POST');
      expect((call.init.headers as Record<string, string>)['Authorization']).toBe(`Bearer ${OWNER_KEY}`);
      const form = call.init.body as FormData;
      expect(form.get('label')).toBe('English');
      expect(form.get('lang')).toBe('en');
      expect((form.get('file') as File).name).toBe('film.en.srt');
      expect(inPanel('subtitle-upload')?.textContent).toContain('Uploading…');
      expect(inPanel<HTMLButtonElement>('subtitle-upload')?.disabled).toBe(true);
      expect(panel()?.getAttribute('aria-busy')).toBe('true');

      call.answer(201, EN);
      await until(() => inPanel('subtitle-track') !== null);
      expect(inPanel('subtitle-track')?.textContent).toContain('English');
      expect(item(READY.id).querySelector(tid('subtitle-summary'))?.textContent).toContain('English (en)');
      expect(api.getMedia).toHaveBeenCalledWith(READY.id);
      expect(inPanel<HTMLInputElement>('subtitle-label')?.value).toBe('');
      expect(inPanel('subtitle-upload')?.textContent).toContain('Add subtitles');
      expect(q('[role="status"].visually-hidden')?.textContent).toContain('Added the subtitles “English”');
    });

    it('leaves the language out when empty', async () => {
      api.listMedia.mockResolvedValue([READY]);
      api.getMedia.mockResolvedValue(READY);
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      chooseSubtitle(srt('commentary.vtt'));
      inPanel('subtitle-upload')?.click();
      await settle();
      const form = fetches[0].init.body as FormData;
      expect(form.get('label')).toBe('commentary');
      expect(form.has('lang')).toBe(false);
    });

    it('checks the form before sending anything', async () => {
      api.listMedia.mockResolvedValue([READY]);
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      inPanel('subtitle-upload')?.click();
      await settle();
      expect(inPanel('subtitle-file-error')?.textContent).toContain('Choose an .srt or .vtt file');
      expect(inPanel('subtitle-label-error')?.textContent).toContain('Enter a label');

      chooseSubtitle(new File(['x'], 'notes.txt', { type: 'text/plain' }));
      type('subtitle-lang', 'english!');
      inPanel('subtitle-upload')?.click();
      await settle();
      expect(inPanel('subtitle-file-error')?.textContent).toContain('must be an .srt or .vtt file');
      expect(inPanel('subtitle-lang-error')?.textContent).toContain('language tag such as en or pt-BR');
      expect(inPanel('subtitle-file')?.getAttribute('aria-invalid')).toBe('true');
      expect(fetches).toHaveLength(0);
    });

    it.each([
      [413, 'the file is larger than the 2097152-byte limit', 'This subtitle file is too large (at most 2 MB)'],
      [400, 'line 3: not a cue timing line', 'The subtitle file was refused: line 3: not a cue timing line.'],
      [415, 'not UTF-8 text', 'This is not a subtitle file we can read (not UTF-8 text)'],
      [409, 'at most 16 subtitle tracks', 'already has as many subtitle tracks'],
      [401, 'adding subtitles needs the admin token', 'only the browser that uploaded it, or the admin, can'],
    ])('explains a %i', async (status, message, text) => {
      api.listMedia.mockResolvedValue([READY]);
      remember({}, ADMIN_TOKEN);
      localStorage.setItem(OWNER_KEYS_KEY, '{}');
      await open();
      // The admin manages every item; a 401 with the admin token forgets it (like rename).
      item(READY.id).querySelector<HTMLElement>(tid('manage-subtitles'))?.click();
      await settle();
      chooseSubtitle(srt());
      inPanel('subtitle-upload')?.click();
      await settle();
      fetches[0].answer(status, { statusCode: status, error: 'x', message });
      await settle();
      const shown = status === 401 ? q(tid('manage-error')) : inPanel('subtitle-error');
      expect(shown?.textContent).toContain(status === 401 ? 'no longer accepts the admin token' : text);
      if (status !== 401) {
        expect(inPanel('subtitle-error')?.getAttribute('role')).toBe('alert');
        expect(inPanel<HTMLButtonElement>('subtitle-upload')?.disabled).toBe(false);
      }
    });

    it('explains a network error', async () => {
      api.listMedia.mockResolvedValue([READY]);
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      chooseSubtitle(srt());
      inPanel('subtitle-upload')?.click();
      await settle();
      fetches[0].fail();
      await settle();
      expect(inPanel('subtitle-error')?.textContent).toContain('server is unreachable');
    });

    it('deletes a track with the owner key, busy meanwhile', async () => {
      api.listMedia.mockResolvedValue([{ ...READY, subtitles: [EN, DIRECTOR] }]);
      api.getMedia.mockResolvedValue({ ...READY, subtitles: [DIRECTOR] });
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      const deletes = () => [...(panel()?.querySelectorAll<HTMLButtonElement>(tid('delete-subtitle')) ?? [])];
      expect(deletes()[0].getAttribute('aria-label')).toBe('Delete the subtitles English');
      deletes()[0].click();
      await settle();
      expect(fetches[0].url).toBe(`/api/media/${READY.id}/subtitles/${EN.id}`);
      expect(fetches[0].init.method).toBe('DELETE');
      expect((fetches[0].init.headers as Record<string, string>)['Authorization']).toBe(`Bearer ${OWNER_KEY}`);
      expect(deletes()[0].textContent).toContain('Deleting…');
      expect(deletes().every((b) => b.disabled)).toBe(true);
      fetches[0].answer(204);
      await until(() => deletes().length === 1);
      expect(panel()?.textContent).toContain('Director');
      expect(panel()?.textContent).not.toContain('English');
    });

    it('a refused delete says this browser may not manage the item', async () => {
      api.listMedia.mockResolvedValue([WITH_EN]);
      remember({ [READY.id]: OWNER_KEY });
      await openPanel();
      inPanel('delete-subtitle')?.click();
      await settle();
      fetches[0].answer(403, { statusCode: 403, error: 'Forbidden', message: 'wrong key' });
      await settle();
      expect(q(tid('manage-error'))?.textContent).toContain('did not accept the key saved for it');
      expect(panel()).toBeNull();
    });
  });
});
