import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  type ElementRef,
  afterRenderEffect,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';

export interface MenuItem {
  value: string;
  label: string;
  /** Shown as a radio item (aria-checked) when defined. */
  checked?: boolean;
  danger?: boolean;
}

let nextMenuId = 0;

/** Space kept between the menu and the trigger, and between the menu and the window's edges. */
const GAP_PX = 4;
const EDGE_PX = 8;

export interface MenuBox {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface MenuPlacement {
  top: number;
  left: number;
  /** The menu opens above the trigger. */
  up: boolean;
}

/**
 * Where a fixed-position menu goes: under the trigger, right edges aligned (so it grows
 * inwards from a row's ⋮), flipped above when it does not fit below but fits better above,
 * left-aligned when right-aligning would leave the window, and always kept inside it.
 */
export function placeMenu(
  trigger: MenuBox,
  menu: { width: number; height: number },
  viewport: { width: number; height: number },
  preferred: 'up' | 'down' = 'down',
): MenuPlacement {
  const below = viewport.height - (trigger.top + trigger.height) - GAP_PX - EDGE_PX;
  const above = trigger.top - GAP_PX - EDGE_PX;
  const up = preferred === 'up' ? !(menu.height > above && below > above) : menu.height > below && above > below;
  const rawTop = up ? trigger.top - GAP_PX - menu.height : trigger.top + trigger.height + GAP_PX;
  let left = trigger.left + trigger.width - menu.width;
  if (left < EDGE_PX) left = trigger.left;
  const maxLeft = viewport.width - EDGE_PX - menu.width;
  const maxTop = viewport.height - EDGE_PX - menu.height;
  return {
    top: Math.round(Math.max(EDGE_PX, Math.min(rawTop, maxTop))),
    left: Math.round(Math.max(EDGE_PX, Math.min(left, maxLeft))),
    up,
  };
}

/**
 * A button that opens a small menu (WAI-ARIA menu button pattern): arrows / Home / End move
 * between items, Escape closes and returns focus to the button, Tab, a click outside, a resize
 * or a scroll that moves the trigger closes. The menu is fixed-positioned against the trigger (`placeMenu`), so no
 * scrolling panel clips it. The trigger's visible content is projected.
 */
@Component({
  selector: 'wp-menu-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button
      #trigger
      type="button"
      [class]="buttonClass()"
      aria-haspopup="menu"
      [attr.aria-expanded]="open()"
      [attr.aria-controls]="open() ? menuId : null"
      [attr.aria-label]="label()"
      [attr.title]="title() ?? label()"
      [attr.data-testid]="testId()"
      [disabled]="disabled()"
      (click)="toggle()"
      (keydown)="onTriggerKey($event)"
    >
      <ng-content />
    </button>
    @if (open()) {
      <div
        #menu
        class="menu"
        role="menu"
        tabindex="-1"
        [id]="menuId"
        [attr.aria-label]="label()"
        (keydown)="onMenuKey($event)"
        (focusout)="onFocusOut($event)"
      >
        @for (item of items(); track item.value) {
          <button
            type="button"
            class="menu-item"
            [class.menu-item-danger]="item.danger"
            [attr.role]="item.checked === undefined ? 'menuitem' : 'menuitemradio'"
            [attr.aria-checked]="item.checked === undefined ? null : item.checked"
            [attr.data-value]="item.value"
            tabindex="-1"
            (click)="choose(item)"
          >
            @if (item.checked !== undefined) {
              <span class="menu-check" aria-hidden="true">{{ item.checked ? '✓' : '' }}</span>
            }
            {{ item.label }}
          </button>
        }
      </div>
    }
  `,
  host: { class: 'menu-host' },
})
export class MenuButtonComponent {
  readonly items = input.required<MenuItem[]>();
  /** Accessible name of the button and the menu. */
  readonly label = input.required<string>();
  readonly title = input<string | null>(null);
  readonly disabled = input(false);
  readonly placement = input<'up' | 'down'>('down');
  readonly buttonClass = input('icon-btn');
  readonly testId = input<string | null>(null);
  readonly selected = output<string>();

  protected readonly open = signal(false);
  protected readonly menuId = `wp-menu-${nextMenuId++}`;
  private readonly trigger = viewChild.required<ElementRef<HTMLButtonElement>>('trigger');
  private readonly menu = viewChild<ElementRef<HTMLElement>>('menu');
  private readonly document = inject(DOCUMENT);
  private focusIndex = 0;

  constructor() {
    const onPointerDown = (event: PointerEvent) => {
      const host = this.trigger().nativeElement.parentElement;
      if (this.open() && host && !host.contains(event.target as Node)) this.open.set(false);
    };
    // A fixed menu would stay put while its trigger scrolls away: close it instead. Other
    // scrolls (the chat following new messages, the menu's own) leave it open.
    const onScroll = (event: Event) => {
      const target = event.target;
      const moved = target === this.document || (target instanceof Node && target.contains(this.trigger().nativeElement));
      if (this.open() && moved) this.close(false);
    };
    const onResize = () => this.close(false);
    const view = this.document.defaultView;
    this.document.addEventListener('pointerdown', onPointerDown, true);
    this.document.addEventListener('scroll', onScroll, true);
    view?.addEventListener('resize', onResize);
    inject(DestroyRef).onDestroy(() => {
      this.document.removeEventListener('pointerdown', onPointerDown, true);
      this.document.removeEventListener('scroll', onScroll, true);
      view?.removeEventListener('resize', onResize);
    });
    // Place the menu against its trigger, then move focus into it, once it is rendered.
    afterRenderEffect(() => {
      const menu = this.menu();
      if (!menu || !this.open()) return;
      this.position(menu.nativeElement);
      this.focusItem(this.focusIndex);
    });
  }

  close(returnFocus = true): void {
    if (!this.open()) return;
    this.open.set(false);
    if (returnFocus) this.trigger().nativeElement.focus();
  }

  protected toggle(): void {
    if (this.open()) {
      this.close();
      return;
    }
    const checked = this.items().findIndex((i) => i.checked);
    this.focusIndex = Math.max(0, checked);
    this.open.set(true);
  }

  protected onTriggerKey(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.open()) {
      event.preventDefault();
      event.stopPropagation();
      this.close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      event.stopPropagation();
      this.focusIndex = event.key === 'ArrowDown' ? 0 : this.items().length - 1;
      this.open.set(true);
    }
  }

  protected onMenuKey(event: KeyboardEvent): void {
    const count = this.items().length;
    const moves: Record<string, number> = {
      ArrowDown: this.focusIndex + 1,
      ArrowUp: this.focusIndex - 1 + count,
      Home: 0,
      End: count - 1,
    };
    if (event.key in moves) {
      this.focusItem(moves[event.key] % count);
    } else if (event.key === 'Escape') {
      this.close();
    } else if (event.key === 'Tab') {
      this.close(false);
      return;
    } else {
      return;
    }
    // Keys used by the menu must not reach page or player shortcuts.
    event.preventDefault();
    event.stopPropagation();
  }

  protected onFocusOut(event: FocusEvent): void {
    const next = event.relatedTarget as Node | null;
    const host = this.trigger().nativeElement.parentElement;
    if (next && host && !host.contains(next)) this.close(false);
  }

  protected choose(item: MenuItem): void {
    this.close();
    this.selected.emit(item.value);
  }

  private position(menu: HTMLElement): void {
    const view = this.document.defaultView;
    if (!view) return;
    const rect = this.trigger().nativeElement.getBoundingClientRect();
    const place = placeMenu(
      { top: rect.top, left: rect.left, width: rect.width, height: rect.height },
      { width: menu.offsetWidth, height: menu.offsetHeight },
      { width: view.innerWidth, height: view.innerHeight },
      this.placement(),
    );
    menu.style.top = `${place.top}px`;
    menu.style.left = `${place.left}px`;
    menu.classList.toggle('menu-up', place.up);
  }

  private focusItem(index: number): void {
    this.focusIndex = index;
    const buttons = this.menu()?.nativeElement.querySelectorAll<HTMLButtonElement>('.menu-item');
    buttons?.[index]?.focus();
  }
}
