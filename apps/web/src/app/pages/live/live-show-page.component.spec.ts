import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { JoinedSession, LiveShow } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { ApiRequestError } from '../../services/http';
import { IdentityStoreService } from '../../services/identity-store.service';
import { LiveApiService } from '../../services/live-api.service';
import { SOCKET_FACTORY } from '../../services/session-socket.service';
import { FakeSocket, handshakeError, snapshotFor } from '../../testing/fake-socket';
import { LiveShowPageComponent } from './live-show-page.component';

const SHOW: LiveShow = {
  id: 'ShowId_000000001',
  title: 'DJ set',
  creatorName: 'Cleo',
  status: 'scheduled',
  startedAt: null,
  viewerCount: 0,
  hlsUrl: null,
  sessionId: 'ChatParty_000001',
};

describe('LiveShowPageComponent chat', () => {
  let api: { joinSession: jest.Mock; createSession: jest.Mock };
  let sockets: FakeSocket[];
  let fixture: ComponentFixture<LiveShowPageComponent>;

  const q = (selector: string) => (fixture.nativeElement as HTMLElement).querySelector<HTMLElement>(selector);
  const tid = (id: string) => `[data-testid="${id}"]`;
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  };

  async function open(): Promise<void> {
    fixture = TestBed.createComponent(LiveShowPageComponent);
    fixture.componentRef.setInput('id', SHOW.id);
    await settle();
  }

  async function joinAs(name: string): Promise<void> {
    const input = q(tid('chat-name')) as HTMLInputElement;
    input.value = name;
    input.dispatchEvent(new Event('input'));
    q(tid('join-chat'))?.click();
    await settle();
  }

  beforeEach(() => {
    localStorage.clear();
    sockets = [];
    api = { joinSession: jest.fn(), createSession: jest.fn() };
    TestBed.configureTestingModule({
      imports: [LiveShowPageComponent],
      providers: [
        provideRouter([]),
        { provide: ApiService, useValue: api },
        { provide: LiveApiService, useValue: { get: jest.fn().mockResolvedValue(SHOW) } },
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

  afterEach(() => fixture?.destroy());

  it("joins the show's chat party and connects with the new pass", async () => {
    const joined: JoinedSession = { session: snapshotFor(SHOW.sessionId, 'me').session, participantId: 'me', token: 'tok-1' };
    api.joinSession.mockResolvedValue(joined);
    await open();
    await joinAs('Vic');
    expect(api.joinSession).toHaveBeenCalledWith(SHOW.sessionId, { name: 'Vic', deviceId: expect.any(String) });
    expect(sockets.map((s) => s.token)).toEqual(['tok-1']);
    expect(TestBed.inject(IdentityStoreService).get(SHOW.sessionId)?.name).toBe('Vic');
    expect(q(tid('join-chat'))).toBeNull();
  });

  it('says why a ban or a lock refuses the chat, without inviting a retry', async () => {
    api.joinSession.mockRejectedValue(new ApiRequestError(403, 'party is locked', 'Forbidden'));
    await open();
    await joinAs('Vic');
    const text = q('#chat-name-error')?.textContent ?? '';
    expect(text).toContain("Can't join the chat: party is locked.");
    expect(text).not.toContain('Try again');
    expect(sockets).toHaveLength(0);
  });

  it('says the chat is full on a 409', async () => {
    api.joinSession.mockRejectedValue(new ApiRequestError(409, 'full', 'Conflict'));
    await open();
    await joinAs('Vic');
    expect(q('#chat-name-error')?.textContent).toContain('The chat is full.');
    expect(sockets).toHaveLength(0);
  });

  it('reconnects with a stored pass; when the host removes us the form is back with our name and the reason', async () => {
    TestBed.inject(IdentityStoreService).set(SHOW.sessionId, { token: 'old', participantId: 'me', name: 'Vic' });
    await open();
    expect(sockets[0].token).toBe('old');
    sockets[0].fire('connect');
    sockets[0].fire('session:kicked', { reason: 'Be nice' });
    await settle();
    expect(q('#chat-name-error')?.textContent).toContain('You were removed from the chat.');
    expect((q(tid('chat-name')) as HTMLInputElement).value).toBe('Vic');
    expect(TestBed.inject(IdentityStoreService).get(SHOW.sessionId)).toBeNull();
  });

  it('asks to join again when the server no longer accepts the pass', async () => {
    TestBed.inject(IdentityStoreService).set(SHOW.sessionId, { token: 'old', participantId: 'me', name: 'Vic' });
    await open();
    sockets[0].active = false;
    sockets[0].fire('connect_error', handshakeError('TOKEN_EXPIRED', 'token expired'));
    await settle();
    expect(q('#chat-name-error')?.textContent).toContain('Your chat pass expired. Join again.');
    expect(q(tid('join-chat'))).not.toBeNull();
  });

  it('offers no join once the show has ended, and says the chat is over; those in it keep it', async () => {
    const live = TestBed.inject(LiveApiService) as unknown as { get: jest.Mock };
    live.get.mockResolvedValue({ ...SHOW, status: 'ended', endedAt: '2026-01-01T21:00:00.000Z' });
    await open();
    expect(q(tid('join-chat'))).toBeNull();
    expect(q(tid('chat-name'))).toBeNull();
    expect(q(tid('chat-ended'))?.textContent).toContain('The show has ended');
    fixture.destroy();

    TestBed.inject(IdentityStoreService).set(SHOW.sessionId, { token: 'old', participantId: 'me', name: 'Vic' });
    await open();
    expect(sockets.at(-1)?.token).toBe('old');
    expect(q(tid('chat-ended'))).toBeNull();
    expect(q('wp-party-chat')).not.toBeNull();
  });
});
