import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Reaction } from '@watch-party/contracts';
import { SOCKET_FACTORY, SessionSocketService } from '../../services/session-socket.service';
import { FakeSocket, snapshotFor } from '../../testing/fake-socket';
import { MAX_FLOATING_REACTIONS, REACTION_FLOAT_MS, ReactionBurstComponent } from './reaction-burst.component';

describe('ReactionBurstComponent', () => {
  let fixture: ComponentFixture<ReactionBurstComponent>;
  let socket: FakeSocket;
  const el = () => fixture.nativeElement as HTMLElement;
  const floats = () => [...el().querySelectorAll<HTMLElement>('[data-testid="reaction-float"]')];
  const reaction = (participantId: string, emoji: Reaction['emoji'] = '🔥'): Reaction => ({ participantId, emoji, at: 1 });

  beforeEach(async () => {
    jest.useFakeTimers({ advanceTimers: true });
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => (socket = new FakeSocket(token)).asSocket() },
      ],
    });
    const service = TestBed.inject(SessionSocketService);
    service.connect('tok');
    socket.fire('connect');
    socket.fire('session:snapshot', snapshotFor('s1', 'me', [{ id: 'p2', name: 'Bo' }]));
    fixture = TestBed.createComponent(ReactionBurstComponent);
    fixture.componentInstance.random = () => 0.5;
    await fixture.whenStable();
  });

  afterEach(() => jest.useRealTimers());

  it('floats each reaction with its sender’s name, then removes it', async () => {
    socket.fire('reaction', reaction('p2', '😂'));
    socket.fire('reaction', reaction('me', '👏'));
    socket.fire('reaction', reaction('gone'));
    await fixture.whenStable();
    expect(floats().map((f) => [f.dataset['emoji'], f.querySelector('[data-testid="reaction-name"]')?.textContent])).toEqual([
      ['😂', 'Bo'],
      ['👏', 'You'],
      ['🔥', 'Someone'],
    ]);
    expect(floats()[0].style.left).toBe('44%');
    expect(el().getAttribute('aria-hidden')).toBe('true'); // decoration, not news for screen readers

    jest.advanceTimersByTime(REACTION_FLOAT_MS - 300);
    await fixture.whenStable();
    expect(floats()).toHaveLength(3);
    jest.advanceTimersByTime(300);
    await fixture.whenStable();
    expect(floats()).toHaveLength(0);
  });

  it('spreads reactions across the picture and keeps them inside it', async () => {
    const spots = [0, 0.999];
    fixture.componentInstance.random = () => spots.shift() ?? 0;
    socket.fire('reaction', reaction('p2'));
    socket.fire('reaction', reaction('p2'));
    await fixture.whenStable();
    const lefts = floats().map((f) => parseFloat(f.style.left));
    expect(lefts[0]).toBe(4);
    expect(lefts[1]).toBeGreaterThan(80);
    expect(lefts[1]).toBeLessThanOrEqual(84);
  });

  it(`shows at most ${MAX_FLOATING_REACTIONS} at once, dropping the oldest`, async () => {
    const emojis: Reaction['emoji'][] = ['👍', '😂'];
    for (let i = 0; i < MAX_FLOATING_REACTIONS + 6; i++) socket.fire('reaction', reaction('p2', i < 6 ? emojis[0] : emojis[1]));
    await fixture.whenStable();
    expect(floats()).toHaveLength(MAX_FLOATING_REACTIONS);
    expect(floats().every((f) => f.dataset['emoji'] === '😂')).toBe(true);
    jest.advanceTimersByTime(REACTION_FLOAT_MS);
    await fixture.whenStable();
    expect(floats()).toHaveLength(0);
  });

  it('stops listening when destroyed', () => {
    fixture.destroy();
    expect(() => socket.fire('reaction', reaction('p2'))).not.toThrow();
    expect(jest.getTimerCount()).toBe(0);
  });
});
