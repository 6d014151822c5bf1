import { ChangeDetectionStrategy, Component } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MenuButtonComponent, placeMenu } from './menu-button.component';

describe('placeMenu', () => {
  const viewport = { width: 1366, height: 800 };
  const menu = { width: 160, height: 120 };
  // A ⋮ button 32x32 with its top-left corner at (x, y).
  const trigger = (x: number, y: number) => ({ left: x, top: y, width: 32, height: 32 });

  it('opens under the trigger, right edges aligned', () => {
    expect(placeMenu(trigger(1000, 100), menu, viewport)).toEqual({ top: 136, left: 1032 - 160, up: false });
  });

  it('flips above the trigger near the bottom of the window', () => {
    expect(placeMenu(trigger(1000, 700), menu, viewport)).toEqual({ top: 700 - 4 - 120, left: 872, up: true });
  });

  it('stays below when neither side fits but below has more room, kept inside the window', () => {
    const tall = { width: 160, height: 900 };
    const place = placeMenu(trigger(1000, 300), tall, viewport);
    expect(place.up).toBe(false);
    expect(place.top).toBe(8);
  });

  it('aligns left edges when right-aligning would leave the window, and never passes the right edge', () => {
    expect(placeMenu(trigger(20, 100), menu, viewport).left).toBe(20);
    expect(placeMenu(trigger(1350, 100), { width: 400, height: 100 }, viewport).left).toBe(1366 - 8 - 400);
  });

  it('keeps a preferred "up" (the player bar) unless only below has room', () => {
    expect(placeMenu(trigger(600, 700), menu, viewport, 'up').up).toBe(true);
    expect(placeMenu(trigger(600, 40), menu, viewport, 'up')).toEqual({ top: 76, left: 472, up: false });
  });
});

@Component({
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MenuButtonComponent],
  template: `
    <div class="scroller" style="overflow: auto; height: 50px">
      <wp-menu-button label="Actions" testId="trigger" [items]="items" (selected)="chosen.push($event)">⋮</wp-menu-button>
    </div>
    <div class="chat-log" style="overflow: auto; height: 50px"></div>
  `,
})
class HostComponent {
  readonly items = [
    { value: 'a', label: 'Make controller' },
    { value: 'b', label: 'Remove', danger: true },
  ];
  readonly chosen: string[] = [];
}

describe('MenuButtonComponent', () => {
  let fixture: ComponentFixture<HostComponent>;
  const el = () => fixture.nativeElement as HTMLElement;
  const trigger = () => el().querySelector<HTMLButtonElement>('[data-testid="trigger"]') as HTMLButtonElement;
  const menu = () => el().querySelector<HTMLElement>('[role="menu"]');

  beforeEach(async () => {
    fixture = TestBed.createComponent(HostComponent);
    document.body.appendChild(fixture.nativeElement as HTMLElement);
    await fixture.whenStable();
  });
  afterEach(() => (fixture.nativeElement as HTMLElement).remove());

  async function openNear(top: number, left: number, size = { width: 160, height: 120 }): Promise<HTMLElement> {
    jest.spyOn(trigger(), 'getBoundingClientRect').mockReturnValue({ top, left, width: 32, height: 32, bottom: top + 32, right: left + 32, x: left, y: top, toJSON: () => ({}) });
    jest.spyOn(HTMLElement.prototype, 'offsetWidth', 'get').mockReturnValue(size.width);
    jest.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockReturnValue(size.height);
    trigger().click();
    await fixture.whenStable();
    return menu() as HTMLElement;
  }
  afterEach(() => jest.restoreAllMocks());

  it('is placed in fixed coordinates against its trigger, so no scrolling panel clips it', async () => {
    Object.assign(window, { innerWidth: 1366, innerHeight: 800 });
    const opened = await openNear(100, 1000);
    expect(opened.style.top).toBe('136px');
    expect(opened.style.left).toBe('872px');
    expect(opened.classList.contains('menu-up')).toBe(false);
    expect(document.activeElement?.textContent?.trim()).toBe('Make controller');
  });

  it('flips up near the bottom of the window', async () => {
    Object.assign(window, { innerWidth: 1366, innerHeight: 800 });
    const opened = await openNear(740, 1000);
    expect(opened.classList.contains('menu-up')).toBe(true);
    expect(opened.style.top).toBe(`${740 - 4 - 120}px`);
  });

  it('closes when a scroll moves its trigger, on resize and on a click outside; not on other scrolls', async () => {
    Object.assign(window, { innerWidth: 1366, innerHeight: 800 });
    let opened = await openNear(100, 1000);
    opened.dispatchEvent(new Event('scroll'));
    // The chat scrolling to a new message elsewhere on the page.
    el().querySelector('.chat-log')?.dispatchEvent(new Event('scroll'));
    await fixture.whenStable();
    expect(menu()).not.toBeNull();

    el().querySelector('.scroller')?.dispatchEvent(new Event('scroll'));
    await fixture.whenStable();
    expect(menu()).toBeNull();
    expect(trigger().getAttribute('aria-expanded')).toBe('false');

    opened = await openNear(100, 1000);
    expect(opened).not.toBeNull();
    window.dispatchEvent(new Event('resize'));
    await fixture.whenStable();
    expect(menu()).toBeNull();

    opened = await openNear(100, 1000);
    document.dispatchEvent(new Event('scroll'));
    await fixture.whenStable();
    expect(menu()).toBeNull();

    await openNear(100, 1000);
    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    await fixture.whenStable();
    expect(menu()).toBeNull();
  });

  it('Escape closes and gives the focus back; choosing emits the value', async () => {
    const opened = await openNear(100, 1000);
    opened.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    expect(menu()).toBeNull();
    expect(document.activeElement).toBe(trigger());

    await openNear(100, 1000);
    [...el().querySelectorAll<HTMLButtonElement>('[role="menuitem"]')][1].click();
    await fixture.whenStable();
    expect(fixture.componentInstance.chosen).toEqual(['b']);
  });
});
