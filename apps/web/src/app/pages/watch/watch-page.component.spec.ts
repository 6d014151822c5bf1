import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { JoinedSession } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { ApiRequestError, networkError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { SOCKET_FACTORY } from '../../services/session-socket.service';
import { FakeSocket, handshakeError, snapshotFor } from '../../testing/fake-socket';
import { mediaItem } from '../../testing/media';
import { sessionInfo } from '../../testing/session';
import { THEATER_KEY, WatchPageComponent, controlHint, isTextField, joinNames } from './watch-page.component';

const ID = 'SessIonId_1234567';
const SESSION = sessionInfo({ id: ID, hasPassword: true });

describe('controlHint', () => {
  const p = (id: string, name: string, role: 'host' | 'controller' | 'viewer') => ({
    id,
    name,
    role,
    connected: true,
    status: 'ready' as const,
    driftMs: null,
  });

  it('names the host and every controller', () => {
    expect(controlHint([p('1', 'Alice', 'host'), p('2', 'Bo', 'viewer')])).toBe('Only Alice (host) can control playback');
    expect(controlHint([p('1', 'Alice', 'host'), p('2', 'Bo', 'controller'), p('3', 'Cy', 'controller')])).toBe(
      'Only Alice (host), Bo and Cy can control playback',
    );
    expect(controlHint([])).toBe('Only the host can control playback');
    expect(joinNames(['A', 'B'])).toBe('A and B');
  });
});

describe('WatchPageComponent', () => {
  let api: { getSession: jest.Mock; joinSession: jest.Mock; createSession: jest.Mock; getMedia: jest.Mock };
  let sockets: FakeSocket[];
  let fixture: ComponentFixture<WatchPageComponent>;

  const el = () => fixture.nativeElement as HTMLElement;
  const q = (selector: string) => el().querySelector<HTMLElement>(selector);
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  };
  const type = (selector: string, value: string) => {
    const input = q(selector) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  };

  async function open(id = ID): Promise<void> {
    fixture = TestBed.createComponent(WatchPageComponent);
    fixture.componentRef.setInput('id', id);
    await settle();
  }

  beforeEach(() => {
    localStorage.clear();
    sockets = [];
    api = { getSession: jest.fn(), joinSession: jest.fn(), createSession: jest.fn(), getMedia: jest.fn() };
    TestBed.configureTestingModule({
      imports: [WatchPageComponent],
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        {
          provide: SOCKET_FACTORY,
          useValue: (token: string) => {
            const socket = new FakeSocket(token);
            sockets.push(socket);
            return socket.asSocket();
          },
        },
      ],
    });
  });

  it('shows "Party not found" with a link home on 404', async () => {
    api.getSession.mockRejectedValue(new ApiRequestError(404, 'Not found', 'Not Found'));
    await open();
    expect(q('[data-testid="not-found"]')?.textContent).toContain('Party not found');
    expect(q('[data-testid="not-found"] a')?.getAttribute('href')).toBe('/');
  });

  it('shows "Server unreachable" and retries', async () => {
    api.getSession.mockRejectedValueOnce(networkError()).mockResolvedValueOnce(SESSION);
    await open();
    expect(q('[data-testid="unreachable"]')?.textContent).toContain('Server unreachable');
    q('[data-testid="retry"]')?.click();
    await settle();
    expect(api.getSession).toHaveBeenCalledTimes(2);
    expect(q('[data-testid="join-submit"]')).not.toBeNull();
  });

  it('without identity: join card with password; 401 shows "Wrong password"', async () => {
    api.getSession.mockResolvedValue(SESSION);
    api.joinSession.mockRejectedValue(new ApiRequestError(401, 'bad password', 'Unauthorized'));
    await open();
    expect(q('input[name="password"]')).not.toBeNull();
    type('input[name="name"]', 'Bob');
    type('input[name="password"]', 'nope');
    q('[data-testid="join-submit"]')?.click();
    await settle();
    expect(api.joinSession).toHaveBeenCalledWith(ID, { name: 'Bob', password: 'nope', deviceId: expect.any(String) });
    expect(q('[data-testid="join-error"]')?.textContent).toContain('Wrong password');
    expect(sockets).toHaveLength(0);
  });

  it('validates the name with the contract schema before calling the API', async () => {
    api.getSession.mockResolvedValue({ ...SESSION, hasPassword: false });
    await open();
    expect(q('input[name="password"]')).toBeNull();
    type('input[name="name"]', '   ');
    q('[data-testid="join-submit"]')?.click();
    await settle();
    expect(api.joinSession).not.toHaveBeenCalled();
    expect(q('#join-name-error')?.textContent).toContain('Please fill this in');
  });

  it('maps 429 to "Too many attempts, wait a minute"', async () => {
    api.getSession.mockResolvedValue({ ...SESSION, hasPassword: false });
    api.joinSession.mockRejectedValue(new ApiRequestError(429, 'Too Many Requests', 'Too Many Requests'));
    await open();
    type('input[name="name"]', 'Bob');
    q('[data-testid="join-submit"]')?.click();
    await settle();
    expect(q('[data-testid="join-error"]')?.textContent).toContain('Too many attempts, wait a minute');
  });

  it.each([
    ['party is locked', "Can't join: party is locked"],
    ['the host removed you from this party', "Can't join: the host removed you from this party"],
  ])('a join refused with 403 "%s" says so on the join card', async (serverMessage, shown) => {
    api.getSession.mockResolvedValue({ ...SESSION, hasPassword: false });
    api.joinSession.mockRejectedValue(new ApiRequestError(403, serverMessage, 'Forbidden'));
    await open();
    type('input[name="name"]', 'Bob');
    q('[data-testid="join-submit"]')?.click();
    await settle();
    expect(q('[data-testid="join-error"]')?.textContent?.trim()).toBe(shown);
    expect(sockets).toHaveLength(0);
  });

  it('joining stores the identity, connects, and renders participants', async () => {
    const joined: JoinedSession = { session: SESSION, participantId: 'me', token: 'tok-1' };
    api.getSession.mockResolvedValue(SESSION);
    api.joinSession.mockResolvedValue(joined);
    await open();
    type('input[name="name"]', 'Ann');
    type('input[name="password"]', 'secret');
    q('[data-testid="join-submit"]')?.click();
    await settle();

    expect(TestBed.inject(IdentityStoreService).get(ID)).toEqual({ token: 'tok-1', participantId: 'me', name: 'Ann' });
    expect(sockets[0].token).toBe('tok-1');
    sockets[0].fire('connect');
    sockets[0].fire('session:snapshot', snapshotFor(ID, 'me', [{ id: 'p2', name: 'Bob' }]));
    await settle();

    const rows = el().querySelectorAll('[data-testid="participant"]');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('(you)');
    expect(rows[0].querySelector('[data-testid="host-badge"]')).not.toBeNull();
    expect(rows[1].querySelector('[data-testid="host-badge"]')).toBeNull();
    expect((q('[data-testid="invite-link"]') as HTMLInputElement).value).toBe(`${location.origin}/watch/${ID}`);
    expect(q('[data-testid="party-name"]')?.textContent).toContain('Movie night');
  });

  it('reuses a stored identity, shows reconnecting, and drops a refused token', async () => {
    TestBed.inject(IdentityStoreService).set(ID, { token: 'old', participantId: 'me', name: 'Ann' });
    api.getSession.mockResolvedValue(SESSION);
    await open();
    expect(sockets[0].token).toBe('old');
    sockets[0].fire('connect');
    sockets[0].fire('session:snapshot', snapshotFor(ID, 'me'));
    sockets[0].fire('disconnect', 'transport close');
    await settle();
    expect(q('[data-testid="reconnecting"]')?.textContent).toContain('Reconnecting');

    sockets[0].active = false;
    sockets[0].fire('connect_error', handshakeError('TOKEN_EXPIRED', 'token expired'));
    await settle();
    expect(TestBed.inject(IdentityStoreService).get(ID)).toBeNull();
    expect(q('[data-testid="join-notice"]')?.textContent).toContain('token expired');
    expect(q('[data-testid="join-submit"]')).not.toBeNull();
  });

  it('on session:kicked forgets the identity and says so', async () => {
    TestBed.inject(IdentityStoreService).set(ID, { token: 'tok', participantId: 'me', name: 'Ann' });
    api.getSession.mockResolvedValue(SESSION);
    await open();
    sockets[0].fire('connect');
    sockets[0].fire('session:kicked', { reason: 'Bye' });
    await settle();
    expect(q('[data-testid="kicked"]')?.textContent).toContain('Bye');
    expect(TestBed.inject(IdentityStoreService).get(ID)).toBeNull();
  });

  async function enterRoom(snapshot = snapshotFor(ID, 'me', [{ id: 'p2', name: 'Bob' }])) {
    TestBed.inject(IdentityStoreService).set(ID, { token: 'tok', participantId: 'me', name: 'Ann' });
    api.getSession.mockResolvedValue(SESSION);
    await open();
    sockets[0].fire('connect');
    sockets[0].fire('session:snapshot', snapshot);
    await settle();
  }

  it('a viewer sees why the controls are locked; the host gets the picker and settings', async () => {
    const base = snapshotFor(ID, 'me', [{ id: 'p2', name: 'Bob' }]);
    const viewer = {
      ...base,
      session: { ...base.session, source: { kind: 'url' as const, url: 'https://x.org/a.mp4' } },
      you: { ...base.you, role: 'viewer' as const },
      participants: [
        { ...base.participants[0], role: 'viewer' as const },
        { ...base.participants[1], role: 'host' as const },
      ],
    };
    await enterRoom(viewer);
    expect(q('[data-testid="control-hint"]')?.textContent).toContain('Only Bob (host) can control playback');
    expect(q('wp-source-picker')).toBeNull();
    expect(q('wp-host-settings')).toBeNull();

    // The host opens it up to everyone: the lock goes away.
    sockets[0].fire('session:update', { ...viewer.session, controlPolicy: 'everyone' });
    await settle();
    expect(q('[data-testid="control-hint"]')).toBeNull();
    expect(q('wp-source-picker')).not.toBeNull();
  });

  it('host settings go out as session:settings; player commands as playback:control', async () => {
    await enterRoom();
    expect(q('[data-testid="player-empty"]')?.textContent).toContain('Pick a video');
    q('[data-testid="policy-everyone"]')?.click();
    expect(sockets[0].sent('session:settings').map((e) => e.payload)).toEqual([{ controlPolicy: 'everyone' }]);
    q('[data-testid="wait-for-buffering"]')?.click();
    expect(sockets[0].sent('session:settings')[1].payload).toEqual({ waitForBuffering: true });
  });

  it('the host locks the party with session:settings { locked }; the invite hint follows the party', async () => {
    await enterRoom();
    const hint = () => q('wp-invite-link .hint')?.textContent?.trim();
    expect(hint()).toBe('Anyone with this link can join.');
    q('[data-testid="lock-party"]')?.click();
    expect(sockets[0].sent('session:settings').map((e) => e.payload)).toEqual([{ locked: true }]);

    const session = snapshotFor(ID, 'me').session;
    sockets[0].fire('session:update', { ...session, hasPassword: true });
    await settle();
    expect(hint()).toBe('People need the password to join.');
    sockets[0].fire('session:update', { ...session, hasPassword: true, locked: true });
    await settle();
    expect(hint()).toBe('The party is locked: nobody new can join.');
    expect((q('[data-testid="lock-party"]') as HTMLInputElement).checked).toBe(true);
  });

  it('"Remove and ban this device" goes out as participant:kick with ban: true', async () => {
    await enterRoom();
    q('[data-participant-id="p2"] [data-testid="participant-actions"]')?.click();
    await settle();
    [...el().querySelectorAll<HTMLButtonElement>('[role="menuitem"]')].find((i) => i.textContent?.includes('Remove'))?.click();
    await settle();
    expect(sockets[0].sent('participant:kick')).toHaveLength(0);
    q('[data-testid="remove-confirm-ban"]')?.click();
    await settle();
    expect(sockets[0].sent('participant:kick').map((e) => e.payload)).toEqual([{ participantId: 'p2', ban: true }]);
  });

  it('a library source: the player shows transcoding progress, then plays once the item is playable', async () => {
    const base = snapshotFor(ID, 'me');
    const media = mediaItem({ id: 'MediaId_00000001', title: 'Concert', status: 'processing', progress: 0.25, hlsUrl: null });
    api.getMedia.mockResolvedValue(media);
    await enterRoom({ ...base, session: { ...base.session, source: { kind: 'media', mediaId: media.id } }, media });
    expect(q('[data-testid="preparing-progress"]')?.textContent).toContain('Transcoding 25%');

    // Without ffmpeg the item turns ready with no HLS: the original file plays.
    api.getMedia.mockResolvedValue({ ...media, status: 'ready', progress: 1 });
    sockets[0].fire('media:progress', { id: media.id, progress: 1, status: 'ready' });
    await settle();
    expect(q('[data-testid="player-preparing"]')).toBeNull();
    expect(q('[data-testid="video"]')?.getAttribute('src')).toBe(media.fileUrl);
  });

  it('shows a refused command for a moment', async () => {
    await enterRoom();
    sockets[0].responder = () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    const page = fixture.componentInstance as unknown as { onControl(c: { action: 'play' }): Promise<void> };
    await page.onControl({ action: 'play' });
    await settle();
    expect(q('[data-testid="action-error"]')?.textContent).toContain('only the host and controllers');
  });

  it('on phones: People | Chat tabs with an unread count while chat is hidden', async () => {
    const listeners: ((e: { matches: boolean }) => void)[] = [];
    window.matchMedia = jest.fn().mockReturnValue({
      matches: true,
      addEventListener: (_: string, l: (e: { matches: boolean }) => void) => listeners.push(l),
      removeEventListener: jest.fn(),
    });
    try {
      await enterRoom();
      expect(q('[data-testid="tab-chat"]')?.getAttribute('aria-selected')).toBe('true');
      q('[data-testid="tab-people"]')?.click();
      await settle();
      expect(q('#panel-chat')?.hidden).toBe(true);
      const msg = (id: string, who: string) => ({ id, participantId: who, name: who, text: 'hi', at: 1 });
      sockets[0].fire('chat:message', msg('m1', 'p2'));
      sockets[0].fire('chat:message', msg('m2', 'p2'));
      sockets[0].fire('chat:message', msg('m3', 'me')); // your own never count
      await settle();
      expect(q('[data-testid="unread-badge"]')?.textContent).toBe('2');
      q('[data-testid="tab-chat"]')?.click();
      await settle();
      expect(q('[data-testid="unread-badge"]')).toBeNull();
      expect(q('#panel-chat')?.hidden).toBe(false);

      // Back on a wide screen both panels show and nothing is unread.
      listeners.forEach((l) => l({ matches: false }));
      await settle();
      expect(q('[data-testid="tab-chat"]')).toBeNull();
      expect(q('#panel-people')?.hidden).toBe(false);
    } finally {
      delete (window as { matchMedia?: unknown }).matchMedia;
    }
  });

  it('phones: header, player, invite, then the picker, the queue and settings, then people and chat; wide: name and invite atop the side column', async () => {
    const listeners: ((e: { matches: boolean }) => void)[] = [];
    window.matchMedia = jest.fn().mockReturnValue({
      matches: true,
      addEventListener: (_: string, l: (e: { matches: boolean }) => void) => listeners.push(l),
      removeEventListener: jest.fn(),
    });
    try {
      await enterRoom();
      const order = () =>
        [...el().querySelectorAll('.watch-layout > *')].map((n) => [...n.classList].find((c) => c.startsWith('watch-'))).filter(Boolean);
      expect(order()).toEqual(['watch-header', 'watch-main', 'watch-invite', 'watch-tools', 'watch-queue', 'watch-settings', 'watch-col']);
      expect(q('.watch-invite [data-testid="invite-link"]')).not.toBeNull();
      expect(q('[data-testid="theater-toggle"]')).toBeNull();

      listeners.forEach((l) => l({ matches: false }));
      await settle();
      expect(order()).toEqual(['watch-main', 'watch-tools', 'watch-queue', 'watch-settings', 'watch-col']);
      const side = [...(q('.watch-col') as HTMLElement).querySelectorAll('.watch-header, .side-invite, #panel-chat')].map(
        (n) => [...n.classList].find((c) => c.startsWith('watch-') || c.startsWith('side-')) ?? n.id,
      );
      expect(side).toEqual(['watch-header', 'side-invite', 'side-chat']);
      expect(el().querySelectorAll('[data-testid="invite-link"]')).toHaveLength(1);
      expect(el().querySelectorAll('[data-testid="party-name"]')).toHaveLength(1);
    } finally {
      delete (window as { matchMedia?: unknown }).matchMedia;
    }
  });

  describe('theater mode', () => {
    const layout = () => q('.watch-layout') as HTMLElement;
    const toggle = () => q('[data-testid="theater-toggle"]') as HTMLButtonElement;
    const press = (target: EventTarget, key = 't', init: KeyboardEventInit = {}) => {
      const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
      target.dispatchEvent(event);
      return event;
    };

    it('the header button toggles it, says so (aria-pressed) and is remembered by this browser', async () => {
      await enterRoom();
      expect(layout().classList.contains('theater')).toBe(false);
      expect(toggle().getAttribute('aria-pressed')).toBe('false');
      // People and chat side by side outside theater mode.
      expect(q('[data-testid="tab-chat"]')).toBeNull();

      toggle().click();
      await settle();
      expect(layout().classList.contains('theater')).toBe(true);
      expect(toggle().getAttribute('aria-pressed')).toBe('true');
      expect(toggle().textContent?.trim()).toBe('Default view');
      expect(localStorage.getItem(THEATER_KEY)).toBe('1');
      // Chat stays beside the picture; people go into a tab.
      expect(q('[data-testid="tab-chat"]')?.getAttribute('aria-selected')).toBe('true');
      expect(q('#panel-people')?.hidden).toBe(true);
      expect(q('#panel-chat')?.hidden).toBe(false);

      // The next party page this browser opens starts in theater mode.
      fixture.destroy();
      await open();
      await settle();
      expect(layout().classList.contains('theater')).toBe(true);

      toggle().click();
      await settle();
      expect(layout().classList.contains('theater')).toBe(false);
      expect(localStorage.getItem(THEATER_KEY)).toBeNull();
      expect(q('#panel-people')?.hidden).toBe(false);
    });

    it('"t" toggles it, except while typing or with a modifier', async () => {
      await enterRoom();
      const event = press(document.body);
      await settle();
      expect(event.defaultPrevented).toBe(true);
      expect(layout().classList.contains('theater')).toBe(true);

      const chatInput = q('wp-party-chat textarea, wp-party-chat input') as HTMLElement;
      expect(chatInput).not.toBeNull();
      press(chatInput);
      press(document.body, 't', { ctrlKey: true });
      press(document.body, 'x');
      await settle();
      expect(layout().classList.contains('theater')).toBe(true);

      press(document.body, 'T');
      await settle();
      expect(layout().classList.contains('theater')).toBe(false);
    });

    it('does nothing outside the room (join card)', async () => {
      api.getSession.mockResolvedValue(SESSION);
      await open();
      press(document.body);
      await settle();
      expect(localStorage.getItem(THEATER_KEY)).toBeNull();
    });
  });

  it('isTextField: text inputs, text areas, selects and editable content take typing; buttons and checkboxes do not', () => {
    const input = (type?: string) => {
      const el = document.createElement('input');
      if (type) el.type = type;
      return el;
    };
    expect(isTextField(input())).toBe(true);
    expect(isTextField(input('search'))).toBe(true);
    expect(isTextField(document.createElement('textarea'))).toBe(true);
    expect(isTextField(document.createElement('select'))).toBe(true);
    expect(isTextField(input('checkbox'))).toBe(false);
    expect(isTextField(input('range'))).toBe(false);
    expect(isTextField(document.createElement('button'))).toBe(false);
    expect(isTextField(document.body)).toBe(false);
    expect(isTextField(null)).toBe(false);
    const editable = document.createElement('div');
    Object.defineProperty(editable, 'isContentEditable', { value: true });
    expect(isTextField(editable)).toBe(true);
  });
});
