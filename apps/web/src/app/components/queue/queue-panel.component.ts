import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  Injector,
  afterNextRender,
  computed,
  inject,
  signal,
} from '@angular/core';
import { type AckError, LIMITS, type QueueItem } from '@watch-party/contracts';
import { SessionSocketService } from '../../services/session-socket.service';
import { transientMessage } from '../../util/transient-message';
import { SourcePickerComponent } from '../source-picker/source-picker.component';

/** Queue errors clear themselves after this long. */
export const QUEUE_ERROR_MS = 5000;

/** What a refused queue command means for people (acted on by code, never by the English text). */
export function queueErrorMessage(error: AckError['error']): string {
  switch (error.code) {
    case 'FORBIDDEN':
      return "You can't do that: only the host and controllers manage the queue (anyone may remove what they added).";
    case 'RATE_LIMITED':
      return 'Too many changes at once. Wait a moment and try again.';
    case 'NOT_FOUND':
      return 'That item is no longer in the queue.';
    case 'BAD_REQUEST':
    case 'INTERNAL': {
      const text = error.message.trim();
      return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Something went wrong. Try again.';
    }
  }
}

/** Whether the current participant controls playback (same rule as the watch page). */
export function controls(socket: SessionSocketService): boolean {
  const you = socket.you();
  if (!you) return false;
  return you.role !== 'viewer' || socket.session()?.controlPolicy === 'everyone';
}

/**
 * "Up next": the shared queue, the same for everyone in the room. Controllers reorder it
 * (buttons, keyboard, drag and drop), remove anything and skip to the next item; others
 * remove what they added and, when the party lets everyone queue, add through a picker in
 * queue-only mode. Kept current by `queue:update`.
 */
@Component({
  selector: 'wp-queue-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [SourcePickerComponent],
  templateUrl: './queue-panel.component.html',
  styleUrl: './queue-panel.component.scss',
})
export class QueuePanelComponent {
  protected readonly socket = inject(SessionSocketService);
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);

  protected readonly limit = LIMITS.queueItems;
  protected readonly items = this.socket.queue;
  protected readonly canControl = computed(() => controls(this.socket));
  protected readonly canAdd = computed(() => this.canControl() || this.socket.session()?.queuePolicy !== 'controllers');
  protected readonly youId = computed(() => this.socket.you()?.id ?? null);
  protected readonly full = computed(() => this.items().length >= this.limit);
  private readonly names = computed(() => new Map(this.socket.participants().map((p) => [p.id, p.name])));

  /** The queue-only picker of someone who may add but not control. */
  protected readonly adding = signal(false);
  /** The item a command is in flight for ('next' for "Play next now"). */
  protected readonly busy = signal<string | null>(null);
  protected readonly error = transientMessage(QUEUE_ERROR_MS);
  protected readonly dragging = signal<string | null>(null);
  protected readonly dropIndex = signal<number | null>(null);

  protected addedBy(item: QueueItem): string {
    if (item.addedBy === this.youId()) return 'you';
    return this.names().get(item.addedBy) ?? 'someone who left';
  }

  protected canRemove(item: QueueItem): boolean {
    return this.canControl() || item.addedBy === this.youId();
  }

  protected toggleAdd(): void {
    this.adding.update((open) => !open);
  }

  /** Controllers add through the main picker: bring it into view. */
  protected openPicker(): void {
    const picker = this.document.getElementById('source-picker');
    picker?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    picker?.focus({ preventScroll: true });
  }

  protected async move(item: QueueItem, index: number, focus?: 'up' | 'down'): Promise<void> {
    const from = this.items().findIndex((i) => i.id === item.id);
    if (index < 0 || index >= this.items().length || index === from) return;
    const ok = await this.run(item.id, () => this.socket.request('queue:move', { itemId: item.id, index }));
    if (ok && focus) this.refocus(item.id, focus);
  }

  protected async remove(item: QueueItem): Promise<void> {
    const index = this.items().findIndex((i) => i.id === item.id);
    const ok = await this.run(item.id, () => this.socket.request('queue:remove', { itemId: item.id }));
    if (!ok) return;
    // Keep the keyboard where it was: on the next item's remove button, else the list's heading.
    const next = this.items()[Math.min(index, this.items().length - 1)];
    afterNextRender(
      () => {
        const target = next ? this.document.getElementById(`queue-remove-${next.id}`) : this.document.getElementById('queue-heading');
        target?.focus();
      },
      { injector: this.injector },
    );
  }

  protected async next(): Promise<void> {
    const ok = await this.run('next', () => this.socket.request('queue:next', {}));
    // The button goes away with the last item: keep the keyboard in the panel.
    if (ok) {
      afterNextRender(
        () => {
          const button = this.document.getElementById('queue-next-btn');
          (button ?? this.document.getElementById('queue-heading'))?.focus();
        },
        { injector: this.injector },
      );
    }
  }

  // ---- drag and drop (controllers; the buttons do the same from the keyboard) ----

  protected onDragStart(event: DragEvent, item: QueueItem): void {
    this.dragging.set(item.id);
    event.dataTransfer?.setData('text/plain', item.id);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
  }

  protected onDragOver(event: DragEvent, index: number): void {
    if (this.dragging() === null) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    this.dropIndex.set(index);
  }

  protected onDrop(event: DragEvent, index: number): void {
    event.preventDefault();
    const id = this.dragging();
    this.onDragEnd();
    const item = this.items().find((i) => i.id === id);
    if (item) void this.move(item, index);
  }

  protected onDragEnd(): void {
    this.dragging.set(null);
    this.dropIndex.set(null);
  }

  private async run(key: string, request: () => Promise<{ ok: true } | AckError>): Promise<boolean> {
    if (this.busy() !== null) return false;
    this.busy.set(key);
    try {
      const ack = await request();
      this.error.show(ack.ok ? null : queueErrorMessage(ack.error));
      return ack.ok;
    } finally {
      this.busy.set(null);
    }
  }

  private refocus(itemId: string, direction: 'up' | 'down'): void {
    afterNextRender(
      () => {
        const wanted = this.document.getElementById(`queue-${direction}-${itemId}`) as HTMLButtonElement | null;
        // At the top or the bottom the button is disabled: the other one keeps the keyboard.
        const other = this.document.getElementById(`queue-${direction === 'up' ? 'down' : 'up'}-${itemId}`);
        (wanted && !wanted.disabled ? wanted : other)?.focus();
      },
      { injector: this.injector },
    );
  }
}
