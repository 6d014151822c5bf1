import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  type ElementRef,
  afterRenderEffect,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { type AckErrorCode, type ChatMessage, chatSendSchema } from '@watch-party/contracts';
import { formatClock } from '../../util/format';
import { randomId } from '../../util/random-id';
import { transientMessage } from '../../util/transient-message';

export const CHAT_MAX_LENGTH = 500;
/** Closer than this to the bottom counts as "reading the newest": new messages scroll in. */
const STICK_PX = 48;
/** A send error is read, then gets out of the way. */
export const CHAT_ERROR_VISIBLE_MS = 6000;

export type ChatSendResult = { ok: true } | { ok: false; error: { code: AckErrorCode; message: string } };
/** `clientId` names the message: the server keeps one message per clientId, so a resend is not a duplicate. */
export type ChatSender = (text: string, clientId: string) => Promise<ChatSendResult>;

/**
 * The message on its way: `sending` (waiting for the server's answer), `waiting` (we are offline:
 * it goes out when the connection is back), `failed` (the server refused it, or did not answer).
 */
export interface ChatOutbox {
  text: string;
  clientId: string;
  state: 'sending' | 'waiting' | 'failed';
  /** Failed for want of a connection (no answer, offline): sent again by itself on reconnect. */
  retryOnReconnect: boolean;
  /** The messages already listed when it was written: a new one of ours with its text is it. */
  before: ReadonlySet<string>;
}

/**
 * Party chat: history with names and HH:MM, auto-scroll unless the reader scrolled up. The
 * field is cleared only once the server confirms a message; a send that failed keeps its
 * text, and sending that same text again reuses its clientId. The message on its way shows at
 * the end of the list as sending / waiting for the connection / not sent (with Retry); one
 * that failed for want of a connection goes out again by itself, under the same clientId, when
 * `online` comes back (the server keeps one message per clientId, so it never shows twice).
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
  /** False while the connection is down: messages wait and go out when it is back. */
  readonly online = input(true);

  protected readonly maxLength = CHAT_MAX_LENGTH;
  protected readonly text = signal('');
  protected readonly sending = signal(false);
  protected readonly error = transientMessage(CHAT_ERROR_VISIBLE_MS);
  /** Messages that arrived while the reader was scrolled up. */
  protected readonly unseen = signal(0);
  protected readonly remaining = computed(() => CHAT_MAX_LENGTH - this.text().length);

  private readonly list = viewChild.required<ElementRef<HTMLElement>>('list');
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');
  private stick = true;
  private seenCount = 0;
  /** The last unconfirmed send: the same text again goes out under the same clientId. */
  protected readonly outbox = signal<ChatOutbox | null>(null);
  /** The outbox as a bubble, until the message itself is in the list (then it would show twice). */
  protected readonly pending = computed(() => {
    const outbox = this.outbox();
    if (!outbox) return null;
    const youId = this.youId();
    const arrived = this.messages().some(
      (m) => m.kind !== 'system' && m.participantId === youId && m.text === outbox.text && !outbox.before.has(m.id),
    );
    return arrived ? null : outbox;
  });
  /** What the bubble says: a send that failed for want of a connection is waiting while we are offline. */
  protected readonly pendingState = computed(() => {
    const pending = this.pending();
    if (!pending) return null;
    return pending.state === 'failed' && pending.retryOnReconnect && !this.online() ? 'waiting' : pending.state;
  });
  /** Offline -> online transitions seen (a send that fails across one is tried once more). */
  private reconnects = 0;
  private readonly crypto = inject(DOCUMENT).defaultView?.crypto ?? null;

  constructor() {
    let wasOnline = true;
    effect(() => {
      const online = this.online();
      untracked(() => {
        const outbox = this.outbox();
        if (online && !wasOnline) {
          this.reconnects++;
          if (outbox && !this.sending() && (outbox.state === 'waiting' || outbox.retryOnReconnect)) void this.deliver(outbox, false);
        }
        wasOnline = online;
      });
    });
    afterRenderEffect(() => {
      const count = this.messages().length;
      this.pending(); // the bubble of the message on its way scrolls in like a message
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
    if (this.error()) this.error.show(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.sending() || this.disabled()) return;
    const parsed = chatSendSchema.safeParse({ text: this.text() });
    if (!parsed.success) return; // empty or whitespace: nothing to send
    const text = parsed.data.text;
    // Whoever sends wants to see their message: back to the newest.
    this.stick = true;
    this.unseen.set(0);
    const previous = this.outbox();
    const outbox: ChatOutbox =
      previous?.text === text
        ? previous
        : { text, clientId: randomId(this.crypto), state: 'sending', retryOnReconnect: false, before: new Set(this.messages().map((m) => m.id)) };
    if (!this.online()) {
      this.outbox.set({ ...outbox, state: 'waiting', retryOnReconnect: true });
      this.error.show(null);
      return;
    }
    await this.deliver(outbox, true);
  }

  /** Retry from the "not sent" bubble. */
  protected async retry(): Promise<void> {
    const outbox = this.outbox();
    if (!outbox || this.sending() || this.disabled()) return;
    if (!this.online()) {
      this.outbox.set({ ...outbox, state: 'waiting', retryOnReconnect: true });
      return;
    }
    await this.deliver(outbox, true);
  }

  /** Sends the outbox message; `byUser`: the user pressed something (focus returns to the field). */
  private async deliver(outbox: ChatOutbox, byUser: boolean): Promise<void> {
    const sending: ChatOutbox = { ...outbox, state: 'sending' };
    const reconnects = this.reconnects;
    this.outbox.set(sending);
    this.sending.set(true);
    let again = false;
    try {
      const result = await this.send()(sending.text, sending.clientId);
      if (this.outbox() !== sending) return; // replaced meanwhile
      if (result.ok) {
        this.outbox.set(null);
        // The field keeps whatever was typed after it; only the text that went out is cleared.
        if (this.text().trim() === sending.text) {
          this.text.set('');
          this.field().nativeElement.value = ''; // the binding may not have seen the typed text yet
        }
        this.error.show(null);
        this.jumpToNewest();
      } else {
        // Local failures (offline, no answer in time) say INTERNAL; so may the server, rarely:
        // either way sending the same clientId again is harmless.
        const retryOnReconnect = result.error.code === 'INTERNAL';
        this.outbox.set({ ...sending, state: retryOnReconnect && !this.online() ? 'waiting' : 'failed', retryOnReconnect });
        // The connection came back while this send was still waiting for its answer.
        again = retryOnReconnect && this.online() && this.reconnects !== reconnects;
        this.error.show(
          result.error.code === 'RATE_LIMITED'
            ? "You're sending messages too fast. Wait a moment and try again."
            : result.error.message,
        );
      }
    } finally {
      this.sending.set(false);
      if (byUser) this.field().nativeElement.focus();
    }
    const failed = this.outbox();
    if (again && failed) await this.deliver(failed, false);
  }
}
