import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { QueueItem, SessionSnapshot } from '@watch-party/contracts';
import { ApiService } from '../../services/api.service';
import { LINK_PROBE } from '../../services/link-probe';
import { MEDIA_POLL_MS } from '../../services/media-library.service';
import { SOCKET_FACTORY, SessionSocketService } from '../../services/session-socket.service';
import { FakeSocket, snapshotFor } from '../../testing/fake-socket';
import { QUEUE_ERROR_MS, QueuePanelComponent } from './queue-panel.component';

const HOST = 'HostPerson_00001';
const BO = 'BoPerson_0000001';
const CY = 'CyPerson_0000001';

function item(id: string, title: string, addedBy: string): QueueItem {
  return { id, title, addedBy, source: { kind: 'url', url: `https://example.com/${id}.mp4` } };
}
const A = item('ItemA_0000000001', 'Alpha', HOST);
const B = item('ItemB_0000000001', 'Bravo', BO);
const C = item('ItemC_0000000001', 'Charlie', 'GonePerson_00001');

describe('QueuePanelComponent', () => {
  let fixture: ComponentFixture<QueuePanelComponent>;
  let socket: FakeSocket;
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);
  const all = (id: string) => [...el().querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
  const settle = async () => {
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  };

  async function start(youId: string, queue: QueueItem[], tweak: (s: SessionSnapshot) => void = () => undefined) {
    const snapshot = snapshotFor('SessIonId_1234567', HOST, [
      { id: BO, name: 'Bo' },
      { id: CY, name: 'Cy' },
    ]);
    snapshot.session.queue = queue;
    snapshot.participants[0].name = 'Ann';
    snapshot.you = snapshot.participants.find((p) => p.id === youId) ?? snapshot.you;
    tweak(snapshot);
    TestBed.inject(SessionSocketService).connect('token');
    socket.fire('connect');
    socket.fire('session:snapshot', snapshot);
    fixture = TestBed.createComponent(QueuePanelComponent);
    await settle();
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => (socket = new FakeSocket(token)).asSocket() },
        { provide: ApiService, useValue: { listMedia: jest.fn().mockResolvedValue([]) } },
        { provide: MEDIA_POLL_MS, useValue: 60_000 },
        { provide: LINK_PROBE, useValue: jest.fn() },
      ],
    });
  });

  afterEach(() => jest.useRealTimers());

  it('has an empty state and a count', async () => {
    await start(HOST, []);
    expect(q('queue-empty')?.textContent).toContain('Nothing queued');
    expect(q('queue-count')?.textContent?.trim()).toBe('0');
    expect(q('queue-next')).toBeNull();
  });

  it('lists titles, positions and who added them, and follows queue:update', async () => {
    await start(CY, [A, B]);
    expect(all('queue-title').map((t) => t.textContent)).toEqual(['Alpha', 'Bravo']);
    expect(all('queue-added-by').map((t) => t.textContent)).toEqual(['Ann', 'Bo']);
    expect(all('queue-item')[1].textContent).toContain('Number 2');
    socket.fire('queue:update', [B, A, C]);
    await settle();
    expect(all('queue-title').map((t) => t.textContent)).toEqual(['Bravo', 'Alpha', 'Charlie']);
    expect(all('queue-added-by')[2].textContent).toBe('someone who left');
    expect(q('queue-count')?.textContent?.trim()).toBe('3');
  });

  it('controllers move items up and down with buttons (ends disabled) and keep the focus on the moved item', async () => {
    await start(HOST, [A, B]);
    socket.responder = (event) => (event === 'queue:move' ? { ok: true } : undefined);
    const ups = all('queue-up') as HTMLButtonElement[];
    const downs = all('queue-down') as HTMLButtonElement[];
    expect(ups[0].disabled).toBe(true);
    expect(downs[1].disabled).toBe(true);
    downs[0].focus();
    downs[0].click();
    socket.fire('queue:update', [B, A]);
    await settle();
    expect(socket.sent('queue:move').map((e) => e.payload)).toEqual([{ itemId: A.id, index: 1 }]);
    // Alpha is last now: its down button is disabled, so its up button has the keyboard.
    expect(document.activeElement?.id).toBe(`queue-up-${A.id}`);
  });

  it('drag and drop moves an item for controllers', async () => {
    await start(HOST, [A, B, C]);
    socket.responder = () => ({ ok: true });
    const rows = all('queue-item');
    expect(rows[0].getAttribute('draggable')).toBe('true');
    rows[2].dispatchEvent(Object.assign(new Event('dragstart', { bubbles: true }), { dataTransfer: null }));
    const over = Object.assign(new Event('dragover', { bubbles: true, cancelable: true }), { dataTransfer: null });
    rows[0].dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true);
    rows[0].dispatchEvent(Object.assign(new Event('drop', { bubbles: true, cancelable: true }), { dataTransfer: null }));
    await settle();
    expect(socket.sent('queue:move').map((e) => e.payload)).toEqual([{ itemId: C.id, index: 0 }]);
  });

  it('controllers remove any item and play the next one now', async () => {
    await start(HOST, [A, B]);
    socket.responder = (event) => (event === 'queue:next' ? { ok: true, state: {} } : { ok: true });
    expect(all('queue-remove')).toHaveLength(2);
    all('queue-remove')[1].click();
    await settle();
    expect(socket.sent('queue:remove').map((e) => e.payload)).toEqual([{ itemId: B.id }]);
    q('queue-next')?.click();
    socket.fire('queue:update', []);
    await settle();
    expect(socket.sent('queue:next')).toHaveLength(1);
    // The button left with the last item: the keyboard stays in the panel.
    expect(q('queue-next')).toBeNull();
    expect(document.activeElement?.id).toBe('queue-heading');
  });

  it('others may only remove their own items, and cannot reorder', async () => {
    await start(BO, [A, B]);
    expect(q('queue-up')).toBeNull();
    expect(q('queue-next')).toBeNull();
    expect(all('queue-item')[0].getAttribute('draggable')).toBeNull();
    const removes = all('queue-remove');
    expect(removes).toHaveLength(1);
    expect(removes[0].getAttribute('aria-label')).toContain('Bravo');
    expect(all('queue-added-by')[1].textContent).toBe('you');
  });

  it('shows a refusal in words and clears it after a few seconds', async () => {
    await start(HOST, [A, B]);
    jest.useFakeTimers();
    socket.responder = () => ({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    all('queue-remove')[0].click();
    await Promise.resolve();
    fixture.detectChanges();
    expect(q('queue-error')?.textContent).toContain('Too many changes at once');
    jest.advanceTimersByTime(QUEUE_ERROR_MS);
    fixture.detectChanges();
    expect(q('queue-error')).toBeNull();
  });

  it('explains FORBIDDEN', async () => {
    await start(HOST, [A]);
    socket.responder = () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'x' } });
    q('queue-next')?.click();
    await settle();
    expect(q('queue-error')?.textContent).toContain('only the host and controllers manage the queue');
  });

  it('lets a viewer add through a queue-only picker when everyone may queue', async () => {
    await start(BO, []);
    expect(q('queue-picker')).toBeNull();
    const add = q('queue-add') as HTMLButtonElement;
    expect(add.textContent).toContain('Add to queue');
    add.click();
    await settle();
    expect(add.getAttribute('aria-expanded')).toBe('true');
    expect(q('queue-picker')?.querySelector('[data-testid="source-picker"]')?.getAttribute('data-mode')).toBe('queue');
  });

  it('offers no adding to a viewer when only controllers may queue', async () => {
    await start(BO, [], (s) => (s.session.queuePolicy = 'controllers'));
    expect(q('queue-add')).toBeNull();
    expect(q('queue-empty')?.textContent).toContain('The host and controllers decide');
  });

  it('a controller\u2019s "Add a video" brings the main picker into view', async () => {
    await start(HOST, []);
    const picker = document.createElement('section');
    picker.id = 'source-picker';
    picker.tabIndex = -1;
    document.body.append(picker);
    try {
      q('queue-add')?.click();
      expect(document.activeElement).toBe(picker);
    } finally {
      picker.remove();
    }
  });
});
