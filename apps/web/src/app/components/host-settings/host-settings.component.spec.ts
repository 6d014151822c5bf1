import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { SessionInfo, SessionSettings } from '@watch-party/contracts';
import { HostSettingsComponent } from './host-settings.component';

const SESSION: SessionInfo = {
  id: 'SessIonId_1234567',
  name: 'Movie night',
  hasPassword: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  controlPolicy: 'host',
  participantCount: 2,
  source: null,
  waitForBuffering: false,
  queue: [],
  queuePolicy: 'everyone',
  locked: false,
};

describe('HostSettingsComponent', () => {
  let fixture: ComponentFixture<HostSettingsComponent>;
  let changes: SessionSettings[];
  const lock = () => (fixture.nativeElement as HTMLElement).querySelector<HTMLInputElement>('[data-testid="lock-party"]') as HTMLInputElement;

  async function render(session: SessionInfo): Promise<void> {
    changes = [];
    fixture = TestBed.createComponent(HostSettingsComponent);
    fixture.componentRef.setInput('session', session);
    fixture.componentInstance.changed.subscribe((c) => changes.push(c));
    await fixture.whenStable();
  }

  it('"Lock the party (nobody new can join)" goes out as { locked } and follows the party', async () => {
    await render(SESSION);
    expect(lock().closest('label')?.textContent).toContain('Lock the party (nobody new can join)');
    expect(lock().checked).toBe(false);
    lock().click();
    expect(changes).toEqual([{ locked: true }]);

    fixture.componentRef.setInput('session', { ...SESSION, locked: true });
    await fixture.whenStable();
    expect(lock().checked).toBe(true);
    lock().click();
    expect(changes.at(-1)).toEqual({ locked: false });
  });

  it('"Who can add to the queue" goes out as { queuePolicy } and follows the party', async () => {
    await render(SESSION);
    const radio = (value: string) =>
      (fixture.nativeElement as HTMLElement).querySelector<HTMLInputElement>(`[data-testid="queue-policy-${value}"]`) as HTMLInputElement;
    expect(radio('everyone').checked).toBe(true);
    expect(radio('controllers').closest('fieldset')?.textContent).toContain('Who can add to the queue');
    radio('controllers').click();
    expect(changes).toEqual([{ queuePolicy: 'controllers' }]);
    fixture.componentRef.setInput('session', { ...SESSION, queuePolicy: 'controllers' });
    await fixture.whenStable();
    expect(radio('controllers').checked).toBe(true);
    expect(radio('everyone').checked).toBe(false);
  });

  it('cannot be toggled while a change is on its way', async () => {
    await render(SESSION);
    fixture.componentRef.setInput('busy', true);
    await fixture.whenStable();
    expect(lock().disabled).toBe(true);
  });
});
