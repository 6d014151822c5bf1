import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  type ElementRef,
  afterRenderEffect,
  computed,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { type AckErrorCode, type ChatMessage, chatSendSchema } from '@watch-party/contracts';
import { formatClock } from '../../util/format';
import { randomId } from '../../util/random-id';

export const CHAT_MAX_LENGTH = 500;
/** Closer than this to the bottom counts as "reading the newest": new messages scroll in. */
const STICK_PX = 48;
/** A send error is read, then gets out of the way. */
export const CHAT_ERROR_VISIBLE_MS = 6000;

export type ChatSendResult = { ok: true } | { ok: false; error: { code: AckErrorCode; message: string } };
/** `clientId` names the message: the server keeps one message per clientId, so a resend is not a duplicate. */
export type ChatSender = (text: string, clientId: string) => Promise<ChatSendResult>;

/**
 * Party chat: history with names and HH:MM, auto-scroll unless the reader scrolled up. The
 * field is cleared only once the server confirms a message; a send that failed keeps its
 * text, and sending that same text again reuses its clientId.
 */
@Component({
  selector: 'wp-chat',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './chat.component.html',
  styleUrl: './chat.component.scss',
})
export class ChatComponent {
  readonly messages = input.required<ChatMessage[]>();
  readonly youId = input<string | null>(null);
  readonly send = input.required<ChatSender>();
  readonly disabled = input(false);

  protected readonly maxLength = CHAT_MAX_LENGTH;
  protected readonly text = signal('');
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Messages that arrived while the reader was scrolled up. */
  protected readonly unseen = signal(0);
  protected readonly remaining = computed(() => CHAT_MAX_LENGTH - this.text().length);

  private readonly list = viewChild.required<ElementRef<HTMLElement>>('list');
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');
  private stick = true;
  private seenCount = 0;
  /** The last unconfirmed send: the same text again goes out under the same clientId. */
  private unconfirmed: { text: string; clientId: string } | null = null;
  private errorTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly crypto = inject(DOCUMENT).defaultView?.crypto ?? null;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.errorTimer));
    afterRenderEffect(() => {
      const count = this.messages().length;
      const list = this.list().nativeElement;
      untracked(() => {
        const added = count - this.seenCount;
        this.seenCount = count;
        if (this.stick) {
          list.scrollTop = list.scrollHeight;
        } else if (added > 0) {
          this.unseen.update((n) => n + added);
        }
      });
    });
  }

  protected clock(at: number): string {
    return formatClock(at);
  }

  protected iso(at: number): string {
    return new Date(at).toISOString();
  }

  protected onScroll(): void {
    const list = this.list().nativeElement;
    this.stick = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_PX;
    if (this.stick) this.unseen.set(0);
  }

  protected jumpToNewest(): void {
    const list = this.list().nativeElement;
    list.scrollTop = list.scrollHeight;
    this.stick = true;
    this.unseen.set(0);
  }

  protected edit(value: string): void {
    this.text.set(value);
    if (this.error()) this.showError(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.sending() || this.disabled()) return;
    const parsed = chatSendSchema.safeParse({ text: this.text() });
    if (!parsed.success) return; // empty or whitespace: nothing to send
    const text = parsed.data.text;
    const clientId = this.unconfirmed?.text === text ? this.unconfirmed.clientId : randomId(this.crypto);
    this.unconfirmed = { text, clientId };
    this.sending.set(true);
    try {
      const result = await this.send()(text, clientId);
      if (result.ok) {
        this.unconfirmed = null;
        this.text.set('');
        this.field().nativeElement.value = ''; // the binding may not have seen the typed text yet
        this.showError(null);
        this.jumpToNewest();
      } else {
        this.showError(
          result.error.code === 'RATE_LIMITED'
            ? "You're sending messages too fast. Wait a moment and try again."
            : result.error.message,
        );
      }
    } finally {
      this.sending.set(false);
      this.field().nativeElement.focus();
    }
  }

  private showError(message: string | null): void {
    clearTimeout(this.errorTimer);
    this.error.set(message);
    if (message !== null) this.errorTimer = setTimeout(() => this.error.set(null), CHAT_ERROR_VISIBLE_MS);
  }
}
