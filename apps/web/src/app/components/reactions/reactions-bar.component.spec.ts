import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { REACTION_EMOJIS } from '@watch-party/contracts';
import { SOCKET_FACTORY, SessionSocketService } from '../../services/session-socket.service';
import { FakeSocket, snapshotFor } from '../../testing/fake-socket';
import { REACTION_COOLDOWN_MS, ReactionsBarComponent } from './reactions-bar.component';

describe('ReactionsBarComponent', () => {
  let fixture: ComponentFixture<ReactionsBarComponent>;
  let socket: FakeSocket;
  let service: SessionSocketService;
  const el = () => fixture.nativeElement as HTMLElement;
  const buttons = () => [...el().querySelectorAll<HTMLButtonElement>('[data-testid="reaction-button"]')];
  const sent = () => socket.sent('reaction:send').map((e) => (e.payload as { emoji: string }).emoji);
  const press = (key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body) => {
    const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(event);
    return event;
  };

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => (socket = new FakeSocket(token)).asSocket() },
      ],
    });
    service = TestBed.inject(SessionSocketService);
    service.connect('tok');
    socket.fire('connect');
    socket.fire('session:snapshot', snapshotFor('s1', 'me'));
    socket.responder = () => ({ ok: true });
    fixture = TestBed.createComponent(ReactionsBarComponent);
    await fixture.whenStable();
  });

  afterEach(() => jest.useRealTimers());

  it('shows the eight reactions as labelled buttons in a toolbar, with their keys', () => {
    expect(el().querySelector('[role="toolbar"]')?.getAttribute('aria-label')).toContain('1 to 8');
    expect(buttons().map((b) => b.dataset['emoji'])).toEqual([...REACTION_EMOJIS]);
    expect(buttons()[0].getAttribute('aria-label')).toBe('Thumbs up');
    expect(buttons()[0].getAttribute('aria-keyshortcuts')).toBe('1');
    expect(buttons()[7].title).toBe('Party (8)');
    expect(buttons()[7].type).toBe('button');
  });

  it('sends a reaction on click', () => {
    buttons()[1].click();
    expect(sent()).toEqual(['😂']);
  });

  it('sends reactions on keys 1-8, but not while typing, with modifiers, on repeat or when taken', () => {
    const first = press('1');
    expect(first.defaultPrevented).toBe(true);
    press('8');
    expect(sent()).toEqual(['👍', '🎉']);

    const field = document.createElement('input');
    document.body.appendChild(field);
    try {
      expect(press('2', {}, field).defaultPrevented).toBe(false);
    } finally {
      field.remove();
    }
    press('3', { ctrlKey: true });
    press('3', { altKey: true });
    press('3', { metaKey: true });
    press('3', { repeat: true });
    press('9');
    press('k'); // the player's play/pause: untouched
    const taken = new KeyboardEvent('keydown', { key: '4', bubbles: true, cancelable: true });
    taken.preventDefault();
    document.body.dispatchEvent(taken);
    expect(sent()).toEqual(['👍', '🎉']);
  });

  it('does nothing while offline', async () => {
    socket.fire('disconnect', 'ping timeout');
    await fixture.whenStable();
    buttons()[0].click();
    press('1');
    expect(socket.emitted).toHaveLength(0);
    expect(buttons()[0].getAttribute('aria-disabled')).toBe('true');
  });

  it('rests quietly for a moment when the server says "too fast", then works again', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    socket.responder = () => ({ ok: false, error: { code: 'RATE_LIMITED', message: 'too many reactions' } });
    buttons()[0].click();
    await Promise.resolve();
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="reactions-bar"]')?.getAttribute('data-cooling')).toBe('true');
    expect(el().textContent).not.toContain('too many');
    expect(el().querySelector('[role="alert"]')).toBeNull();

    socket.responder = () => ({ ok: true });
    buttons()[0].click(); // resting: not sent
    expect(sent()).toHaveLength(1);

    jest.advanceTimersByTime(REACTION_COOLDOWN_MS);
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="reactions-bar"]')?.getAttribute('data-cooling')).toBeNull();
    buttons()[0].click();
    expect(sent()).toHaveLength(2);
  });

  it('ignores other failures (no answer) without resting', async () => {
    buttons()[0].click();
    socket.responder = null;
    buttons()[1].click();
    socket.sent('reaction:send')[1].ack(new Error('operation has timed out'));
    await Promise.resolve();
    await fixture.whenStable();
    expect(el().querySelector('[data-cooling]')).toBeNull();
  });

  it('stops listening for keys when destroyed', () => {
    fixture.destroy();
    press('1');
    expect(socket.emitted).toHaveLength(0);
  });
});
