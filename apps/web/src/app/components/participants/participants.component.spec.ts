import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Participant } from '@watch-party/contracts';
import { type ParticipantAction, ParticipantsComponent } from './participants.component';

const P = (id: string, name: string, patch: Partial<Participant> = {}): Participant => ({
  id,
  name,
  role: 'viewer',
  connected: true,
  status: 'playing',
  driftMs: null,
  ...patch,
});

describe('ParticipantsComponent', () => {
  let fixture: ComponentFixture<ParticipantsComponent>;
  let actions: ParticipantAction[];
  const el = () => fixture.nativeElement as HTMLElement;
  const rowOf = (id: string) => el().querySelector<HTMLElement>(`[data-participant-id="${id}"]`) as HTMLElement;

  async function render(participants: Participant[], canManage: boolean) {
    actions = [];
    fixture = TestBed.createComponent(ParticipantsComponent);
    fixture.componentRef.setInput('participants', participants);
    fixture.componentRef.setInput('youId', 'me');
    fixture.componentRef.setInput('canManage', canManage);
    fixture.componentInstance.action.subscribe((a) => actions.push(a));
    await fixture.whenStable();
  }

  const people = [
    P('v1', 'Cy', { driftMs: -12.4 }),
    P('me', 'Ann', { role: 'host', driftMs: 3.2 }),
    P('c1', 'Bo', { role: 'controller', status: 'buffering', driftMs: 900 }),
    P('off', 'Dee', { connected: false, driftMs: 4 }),
  ];

  it('sorts host first and shows status and signed drift while following', async () => {
    await render(people, false);
    const names = [...el().querySelectorAll('[data-testid="participant"] .name-text')].map((n) => n.textContent);
    expect(names).toEqual(['Ann', 'Bo', 'Cy', 'Dee']);
    expect(rowOf('me').querySelector('[data-testid="participant-drift"]')?.textContent).toBe('+3 ms');
    expect(rowOf('v1').querySelector('[data-testid="participant-drift"]')?.textContent).toBe('−12 ms');
    // Drift is meaningless while buffering or offline.
    expect(rowOf('c1').querySelector('[data-testid="participant-drift"]')).toBeNull();
    expect(rowOf('c1').querySelector('[data-testid="participant-status"]')?.textContent).toBe('Buffering');
    expect(rowOf('off').querySelector('[data-testid="participant-status"]')?.textContent).toBe('Offline');
    expect(el().querySelector('[data-testid="participant-actions"]')).toBeNull();
  });

  it('gives the host an actions menu for everyone else', async () => {
    await render(people, true);
    expect(rowOf('me').querySelector('[data-testid="participant-actions"]')).toBeNull();
    const trigger = rowOf('v1').querySelector<HTMLButtonElement>('[data-testid="participant-actions"]') as HTMLButtonElement;
    expect(trigger.getAttribute('aria-label')).toBe('Actions for Cy');
    expect(trigger.getAttribute('aria-haspopup')).toBe('menu');
    trigger.click();
    await fixture.whenStable();
    expect(trigger.getAttribute('aria-expanded')).toBe('true');
    const items = [...rowOf('v1').querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(items.map((i) => i.textContent?.trim())).toEqual(['Make controller', 'Make host', 'Remove from party']);
    expect(document.activeElement).toBe(items[0]);

    // Arrow keys move, Escape closes and returns focus.
    items[0].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(items[1]);
    items[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    expect(rowOf('v1').querySelector('[role="menu"]')).toBeNull();
    expect(document.activeElement).toBe(trigger);

    trigger.click();
    await fixture.whenStable();
    (rowOf('v1').querySelector('[role="menuitem"]') as HTMLButtonElement).click();
    expect(actions).toEqual([{ kind: 'role', participantId: 'v1', role: 'controller' }]);

    const bo = rowOf('c1').querySelector<HTMLButtonElement>('[data-testid="participant-actions"]') as HTMLButtonElement;
    bo.click();
    await fixture.whenStable();
    const boItems = [...rowOf('c1').querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(boItems.map((i) => i.textContent?.trim())).toEqual(['Make viewer', 'Make host', 'Remove from party']);
    boItems[2].click();
    await fixture.whenStable();
    // Removing asks first.
    expect(actions.some((a) => a.kind === 'kick')).toBe(false);
    expect(el().querySelector('[data-testid="remove-confirm"]')).not.toBeNull();
  });

  async function askToRemove(id: string): Promise<HTMLElement> {
    const trigger = rowOf(id).querySelector<HTMLButtonElement>('[data-testid="participant-actions"]') as HTMLButtonElement;
    trigger.click();
    await fixture.whenStable();
    const items = [...rowOf(id).querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    items.find((i) => i.textContent?.trim() === 'Remove from party')?.click();
    await fixture.whenStable();
    return el().querySelector<HTMLElement>('[data-testid="remove-confirm"]') as HTMLElement;
  }
  const button = (testId: string) => el().querySelector<HTMLButtonElement>(`[data-testid="${testId}"]`) as HTMLButtonElement;

  it('asks "Remove Bo from the party?" before removing, as a dialog that takes the focus', async () => {
    await render(people, true);
    const dialog = await askToRemove('c1');
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(document.getElementById(dialog.getAttribute('aria-labelledby') ?? '')?.textContent).toBe('Remove Bo from the party?');
    const labels = [...dialog.querySelectorAll('button')].map((b) => b.textContent?.trim());
    expect(labels).toEqual(['Remove', 'Remove and ban this device', 'Cancel']);
    expect(document.activeElement).toBe(button('remove-confirm-cancel'));
    expect(actions).toEqual([]);
  });

  it('"Remove" removes without a ban; "Remove and ban this device" sends ban', async () => {
    await render(people, true);
    await askToRemove('c1');
    button('remove-confirm-remove').click();
    await fixture.whenStable();
    expect(actions).toEqual([{ kind: 'kick', participantId: 'c1', ban: false }]);
    expect(el().querySelector('[data-testid="remove-confirm"]')).toBeNull();

    await askToRemove('v1');
    button('remove-confirm-ban').click();
    expect(actions.at(-1)).toEqual({ kind: 'kick', participantId: 'v1', ban: true });
  });

  it('sends nothing on Cancel or Escape', async () => {
    await render(people, true);
    await askToRemove('c1');
    button('remove-confirm-cancel').click();
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="remove-confirm"]')).toBeNull();
    expect(document.activeElement).toBe(rowOf('c1').querySelector('[data-testid="participant-actions"]'));

    const dialog = await askToRemove('c1');
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="remove-confirm"]')).toBeNull();
    expect(actions).toEqual([]);
  });

  it('badges "Finished" and "Can\'t play" (the reason as tooltip and for screen readers)', async () => {
    await render(
      [
        P('me', 'Ann', { role: 'host' }),
        P('e1', 'Eve', { status: 'ended' }),
        P('x1', 'Xi', { status: 'error', error: 'This browser cannot play HEVC video' }),
        P('x2', 'Yu', { status: 'error' }),
        P('x3', 'Zo', { status: 'error', connected: false, error: 'gone' }),
        P('b1', 'Bea', { status: 'buffering' }),
      ],
      false,
    );
    const status = (id: string) => rowOf(id).querySelector<HTMLElement>('[data-testid="participant-status"]') as HTMLElement;
    const detail = (id: string) => rowOf(id).querySelector('[data-testid="participant-status-detail"]')?.textContent;

    expect(status('e1').textContent).toBe('Finished');
    expect(status('e1').classList).toContain('status-done');
    expect(status('e1').getAttribute('title')).toBeNull();

    expect(status('x1').textContent).toBe("Can't play");
    expect(status('x1').classList).toContain('status-bad');
    expect(status('x1').getAttribute('title')).toBe("Can't play: This browser cannot play HEVC video");
    expect(detail('x1')).toBe("Can't play: This browser cannot play HEVC video");
    expect(status('x2').getAttribute('title')).toBe("Can't play this video");

    // Offline outranks a stale error.
    expect(status('x3').textContent).toBe('Offline');
    expect(status('x3').classList).toContain('status-off');
    expect(detail('x3')).toBeUndefined();

    expect(status('b1').classList).toContain('status-wait');
    expect(status('me').classList).toContain('status-ok');
    // No drift for someone who finished or can't play.
    expect(rowOf('e1').querySelector('[data-testid="participant-drift"]')).toBeNull();
    expect(rowOf('x1').querySelector('[data-testid="participant-drift"]')).toBeNull();
  });

  it('marks a stale list (connection down): no live count, statuses and drift unknown', async () => {
    await render(people, false);
    fixture.componentRef.setInput('stale', true);
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="people-stale"]')?.textContent).toContain('Last known');
    expect(el().textContent).not.toContain('online');
    const statuses = [...el().querySelectorAll('[data-testid="participant-status"]')].map((s) => s.textContent);
    expect(statuses).toEqual(['Unknown', 'Unknown', 'Unknown', 'Unknown']);
    expect(el().querySelector('[data-testid="participant-drift"]')).toBeNull();

    fixture.componentRef.setInput('stale', false);
    await fixture.whenStable();
    expect(el().querySelector('[data-testid="people-stale"]')).toBeNull();
    expect(rowOf('c1').querySelector('[data-testid="participant-status"]')?.textContent).toBe('Buffering');
  });
});
