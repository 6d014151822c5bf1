import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Media, Participant, Role, Source } from '@watch-party/contracts';
import { CurrentMediaService } from '../../services/current-media.service';
import { SOCKET_FACTORY, SessionSocketService } from '../../services/session-socket.service';
import { FakeSocket, snapshotFor } from '../../testing/fake-socket';
import { mediaItem } from '../../testing/media';
import { GO_BACK_ERROR_MS, HOST_NOTICE_MS, PartyNoticesComponent } from './party-notices.component';

const person = (id: string, name: string, role: Role = 'viewer', extra: Partial<Participant> = {}): Participant => ({
  id,
  name,
  role,
  connected: true,
  status: 'playing',
  driftMs: null,
  ...extra,
});

describe('PartyNoticesComponent', () => {
  let fixture: ComponentFixture<PartyNoticesComponent>;
  let socket: FakeSocket;
  let service: SessionSocketService;
  const media = signal<Media | null>(null);
  const el = () => fixture.nativeElement as HTMLElement;
  const q = (id: string) => el().querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const participants = (...list: Participant[]) => socket.fire('participants:update', list);
  const setSource = (source: Source) => {
    const session = service.session();
    if (session) socket.fire('session:update', { ...session, source });
  };
  const settle = async () => {
    await fixture.whenStable();
    await Promise.resolve();
    await fixture.whenStable();
  };

  const start = async (you: Role = 'host') => {
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => (socket = new FakeSocket(token)).asSocket() },
        { provide: CurrentMediaService, useValue: { media } },
      ],
    });
    service = TestBed.inject(SessionSocketService);
    service.connect('tok');
    socket.fire('connect');
    const snapshot = snapshotFor('s1', 'me', [{ id: 'p2', name: 'Bo' }]);
    snapshot.you = { ...snapshot.you, role: you };
    snapshot.participants = [person('me', 'Ann', you), person('p2', 'Bo', you === 'host' ? 'viewer' : 'host')];
    socket.fire('session:snapshot', snapshot);
    fixture = TestBed.createComponent(PartyNoticesComponent);
    await settle();
  };

  beforeEach(() => {
    jest.useFakeTimers({ advanceTimers: true });
    media.set(null);
  });
  afterEach(() => jest.useRealTimers());

  describe('host changes', () => {
    it('says nothing about the host there already', async () => {
      await start();
      expect(q('host-notice')).toBeNull();
      expect(q('host-notice-status')?.textContent?.trim()).toBe('');
      expect(q('host-notice-status')?.getAttribute('role')).toBe('status');
    });

    it(`tells everyone who the new host is, for ${HOST_NOTICE_MS / 1000} s`, async () => {
      await start();
      participants(person('me', 'Ann', 'viewer'), person('p2', 'Bo', 'host'));
      await settle();
      expect(q('host-notice')?.textContent).toContain('Bo is now the host');
      expect(q('host-notice-status')?.textContent).toContain('Bo is now the host');

      jest.advanceTimersByTime(HOST_NOTICE_MS - 500);
      await settle();
      expect(q('host-notice')).not.toBeNull();
      jest.advanceTimersByTime(600);
      await settle();
      expect(q('host-notice')).toBeNull();
      expect(q('host-notice-status')?.textContent?.trim()).toBe('');
    });

    it('says "You are now the host" to the new host, also across a moment without any host', async () => {
      await start('viewer');
      participants(person('me', 'Ann', 'viewer'), person('p2', 'Bo', 'viewer', { connected: false }));
      await settle();
      expect(q('host-notice')).toBeNull();
      participants(person('me', 'Ann', 'host'));
      await settle();
      expect(q('host-notice')?.textContent).toContain('You are now the host');
    });

    it('does not repeat itself on a status update from the same host', async () => {
      await start();
      participants(person('me', 'Ann', 'host', { status: 'buffering' }), person('p2', 'Bo'));
      await settle();
      expect(q('host-notice')).toBeNull();
    });
  });

  describe("can't play", () => {
    it('lists whoever cannot play, with the reason, and not the ones who left or yourself', async () => {
      await start();
      participants(
        person('me', 'Ann', 'host', { status: 'error', error: 'mine' }),
        person('p2', 'Bo', 'viewer', { status: 'error', error: 'The video could not be loaded (network error)' }),
        person('p3', 'Cy', 'viewer', { status: 'error', error: 'gone', connected: false }),
      );
      await settle();
      expect(q('cant-play-text')?.textContent).toBe("Bo can't play this video: The video could not be loaded (network error)");

      participants(person('me', 'Ann', 'host'), person('p2', 'Bo', 'viewer', { status: 'ready' }));
      await settle();
      expect(q('cant-play')).toBeNull();
    });

    it('is compact for several, with the reasons one click away', async () => {
      await start();
      participants(
        person('me', 'Ann', 'host'),
        person('p2', 'Bo', 'viewer', { status: 'error', error: 'codec' }),
        person('p3', 'Cy', 'viewer', { status: 'error' }),
        person('p4', 'Di', 'viewer', { status: 'error', error: 'network' }),
      );
      await settle();
      expect(q('cant-play-text')?.textContent).toBe("Bo and 2 others can't play this video");
      const reasons = [...el().querySelectorAll('details li')].map((li) => li.textContent?.trim());
      expect(reasons).toEqual(['Bo: codec', 'Cy: no reason given', 'Di: network']);
    });

    const failBo = () => participants(person('me', 'Ann', 'host'), person('p2', 'Bo', 'viewer', { status: 'error', error: 'blocked' }));

    it('offers controllers the previous video back, and sets it', async () => {
      await start();
      setSource({ kind: 'media', mediaId: 'm1' });
      await settle();
      media.set(mediaItem({ id: 'm1', title: 'Holiday clip' }));
      await settle();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      media.set(null);
      await settle();
      failBo();
      await settle();

      const button = q('go-back') as HTMLButtonElement;
      expect(button.textContent?.trim()).toBe('Go back to “Holiday clip”');
      socket.responder = () => ({ ok: true, state: {} });
      button.click();
      await settle();
      expect(socket.sent('source:set').map((e) => e.payload)).toEqual([{ source: { kind: 'media', mediaId: 'm1' } }]);
    });

    it('names a previous link by its file', async () => {
      await start();
      setSource({ kind: 'url', url: 'https://ok.test/films/good.mp4' });
      await settle();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      await settle();
      failBo();
      await settle();
      expect(q('go-back')?.textContent?.trim()).toBe('Go back to “good.mp4”');
    });

    it('offers nothing when the previous video is unknown (first source seen on this page)', async () => {
      await start();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      await settle();
      failBo();
      await settle();
      expect(q('cant-play')).not.toBeNull();
      expect(q('go-back')).toBeNull();
    });

    it('offers nothing to viewers', async () => {
      await start('viewer');
      setSource({ kind: 'url', url: 'https://ok.test/good.mp4' });
      await settle();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      await settle();
      participants(person('me', 'Ann', 'viewer'), person('p2', 'Bo', 'host', { status: 'error', error: 'blocked' }));
      await settle();
      expect(q('cant-play-text')?.textContent).toContain("Bo can't play");
      expect(q('go-back')).toBeNull();
    });

    it('does not blame the new video for errors reported about the old one', async () => {
      await start();
      setSource({ kind: 'url', url: 'https://ok.test/good.mp4' });
      await settle();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      await settle();
      failBo();
      await settle();
      expect(q('cant-play')).not.toBeNull();

      setSource({ kind: 'url', url: 'https://ok.test/good.mp4' });
      await settle();
      expect(q('cant-play')).toBeNull(); // Bo's error was about bad.mp4
      failBo(); // the same report again, still about the old video
      await settle();
      expect(q('cant-play')).toBeNull();

      participants(person('me', 'Ann', 'host'), person('p2', 'Bo', 'viewer', { status: 'buffering' }));
      await settle();
      failBo(); // a fresh report: about this video
      await settle();
      expect(q('cant-play-text')?.textContent).toContain("Bo can't play");
    });

    it('says why going back failed, then lets it go', async () => {
      await start();
      setSource({ kind: 'url', url: 'https://ok.test/good.mp4' });
      await settle();
      setSource({ kind: 'url', url: 'https://blocked.test/bad.mp4' });
      await settle();
      failBo();
      await settle();
      socket.responder = () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'only controllers may change the source' } });
      (q('go-back') as HTMLButtonElement).click();
      await settle();
      expect(q('go-back-error')?.textContent).toBe("Couldn't go back: only controllers may change the source");
      expect((q('go-back') as HTMLButtonElement).disabled).toBe(false);
      jest.advanceTimersByTime(GO_BACK_ERROR_MS + 100);
      await settle();
      expect(q('go-back-error')).toBeNull();
    });
  });
});
