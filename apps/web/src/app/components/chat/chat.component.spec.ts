import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { ChatMessage } from '@watch-party/contracts';
import { CHAT_ERROR_VISIBLE_MS, ChatComponent, type ChatSendResult } from './chat.component';

const at = (h: number, m: number) => new Date(2026, 0, 2, h, m).getTime();
const MESSAGES: ChatMessage[] = [
  { id: 'm1', participantId: 'p2', name: 'Bob', text: 'hi all', at: at(9, 5), kind: 'user' },
  { id: 'm2', participantId: 'me', name: 'Ann', text: 'hey <b>Bob</b>', at: at(21, 30), kind: 'user' },
];

describe('ChatComponent', () => {
  let fixture: ComponentFixture<ChatComponent>;
  let send: jest.Mock<Promise<ChatSendResult>, [string, string]>;
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);
  const input = () => q<HTMLInputElement>('chat-input') as HTMLInputElement;
  const type = async (text: string) => {
    input().value = text;
    input().dispatchEvent(new Event('input'));
    await fixture.whenStable();
  };
  const submit = async () => {
    input().form?.dispatchEvent(new Event('submit', { cancelable: true }));
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  };

  beforeEach(async () => {
    send = jest.fn();
    fixture = TestBed.createComponent(ChatComponent);
    fixture.componentRef.setInput('messages', MESSAGES);
    fixture.componentRef.setInput('youId', 'me');
    fixture.componentRef.setInput('send', send);
    await fixture.whenStable();
  });

  it('lists messages with names, HH:MM times and escaped text; marks your own', () => {
    const rows = el().querySelectorAll('[data-testid="chat-message"]');
    expect(rows).toHaveLength(2);
    expect(rows[0].querySelector('.msg-name')?.textContent).toBe('Bob');
    expect(rows[0].querySelector('time')?.textContent).toBe('09:05');
    expect(rows[1].querySelector('time')?.textContent).toBe('21:30');
    expect(rows[1].querySelector('.msg-text')?.textContent).toBe('hey <b>Bob</b>');
    expect(rows[1].querySelector('b')).toBeNull();
    expect(rows[1].classList).toContain('msg-own');
  });

  it('shows activity lines as one quiet line, apart from the messages', async () => {
    const activity: ChatMessage = { id: 'a1', participantId: 'p2', name: 'Bob', text: 'Bob paused at 1:02', at: at(9, 6), kind: 'system', system: { event: 'pause', by: 'p2' } };
    fixture.componentRef.setInput('messages', [...MESSAGES, activity]);
    await fixture.whenStable();
    expect(el().querySelectorAll('[data-testid="chat-message"]')).toHaveLength(2);
    const line = el().querySelector('[data-testid="chat-activity"]');
    expect(line?.textContent).toContain('Bob paused at 1:02');
    expect(line?.querySelector('time')?.textContent).toBe('09:06');
    expect(line?.querySelector('.msg-name')).toBeNull();
  });

  it('sends the trimmed text on Enter (form submit) and clears the field', async () => {
    send.mockResolvedValue({ ok: true });
    await type('  popcorn?  ');
    expect(q('chat-counter')?.textContent).toBe('12/500');
    await submit();
    expect(send).toHaveBeenCalledWith('popcorn?', expect.any(String));
    expect(input().value).toBe('');
    expect(q('chat-counter')?.textContent).toBe('0/500');
  });

  it('does not send blank messages and caps the field at 500 characters', async () => {
    await type('   ');
    await submit();
    expect(send).not.toHaveBeenCalled();
    expect(input().getAttribute('maxlength')).toBe('500');
  });

  it('shows a clear error when rate limited and keeps the text', async () => {
    send.mockResolvedValue({ ok: false, error: { code: 'RATE_LIMITED', message: 'too many events; slow down' } });
    await type('again');
    await submit();
    expect(q('chat-error')?.textContent).toContain("You're sending messages too fast");
    expect(input().getAttribute('aria-invalid')).toBe('true');
    expect(input().value).toBe('again');
    await type('again!');
    expect(q('chat-error')).toBeNull();
  });

  it('gives every new message its own clientId', async () => {
    send.mockResolvedValue({ ok: true });
    await type('one');
    await submit();
    await type('two');
    await submit();
    const [first, second] = send.mock.calls.map(([, clientId]) => clientId);
    expect(first).toEqual(expect.any(String));
    expect(second).not.toBe(first);
  });

  it('keeps the text until the server confirms; Send after a timeout resends it under the same clientId', async () => {
    let answer: (result: ChatSendResult) => void = () => undefined;
    send.mockReturnValueOnce(new Promise<ChatSendResult>((resolve) => (answer = resolve)));
    await type('popcorn?');
    await submit();
    expect(input().value).toBe('popcorn?'); // not confirmed yet
    expect((q('chat-send') as HTMLButtonElement).disabled).toBe(true);

    answer({ ok: false, error: { code: 'INTERNAL', message: 'The server did not answer in time' } });
    await submit(); // a click while the first send is pending does nothing; this only settles it
    expect(send).toHaveBeenCalledTimes(1);
    expect(input().value).toBe('popcorn?');
    expect(q('chat-error')?.textContent).toContain('did not answer in time');

    send.mockResolvedValueOnce({ ok: true });
    await submit();
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[1]).toEqual(['popcorn?', send.mock.calls[0][1]]);
    expect(input().value).toBe('');
    expect(q('chat-error')).toBeNull();
  });

  it('sends edited text after a failure as a new message (a new clientId)', async () => {
    send.mockResolvedValueOnce({ ok: false, error: { code: 'INTERNAL', message: 'Not connected to the party' } });
    await type('hi');
    await submit();
    send.mockResolvedValueOnce({ ok: true });
    await type('hi there');
    await submit();
    expect(send.mock.calls[1][0]).toBe('hi there');
    expect(send.mock.calls[1][1]).not.toBe(send.mock.calls[0][1]);
  });

  it(`clears a send error by itself after ${CHAT_ERROR_VISIBLE_MS / 1000} s`, async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      send.mockResolvedValue({ ok: false, error: { code: 'INTERNAL', message: 'Not connected to the party' } });
      await type('hi');
      await submit();
      expect(q('chat-error')).not.toBeNull();
      jest.advanceTimersByTime(CHAT_ERROR_VISIBLE_MS - 100);
      await fixture.whenStable();
      expect(q('chat-error')).not.toBeNull();
      jest.advanceTimersByTime(200);
      await fixture.whenStable();
      expect(q('chat-error')).toBeNull();
      expect(input().value).toBe('hi');
    } finally {
      jest.useRealTimers();
    }
  });

  it('scrolls to the newest when sending, so the message on its way is in view', async () => {
    const list = q('chat-list') as HTMLElement;
    Object.defineProperty(list, 'scrollHeight', { configurable: true, value: 1000 });
    Object.defineProperty(list, 'clientHeight', { configurable: true, value: 200 });
    list.scrollTop = 100; // the reader scrolled up
    list.dispatchEvent(new Event('scroll'));
    send.mockReturnValueOnce(new Promise<ChatSendResult>(() => undefined));
    await type('look at this');
    await submit();
    expect(q('chat-pending')).not.toBeNull();
    expect(list.scrollTop).toBe(1000);
  });

  describe('the message on its way', () => {
    const pending = () => q('chat-pending');
    const state = () => q('chat-pending-state')?.textContent?.trim();
    const goOffline = async () => {
      fixture.componentRef.setInput('online', false);
      await fixture.whenStable();
    };
    const goOnline = async () => {
      fixture.componentRef.setInput('online', true);
      await fixture.whenStable();
      await new Promise((r) => setTimeout(r));
      await fixture.whenStable();
    };

    it('shows as "Sending…" until the server answers, then as the message itself', async () => {
      let answer: (result: ChatSendResult) => void = () => undefined;
      send.mockReturnValueOnce(new Promise<ChatSendResult>((resolve) => (answer = resolve)));
      await type('popcorn?');
      await submit();
      expect(pending()?.dataset['state']).toBe('sending');
      expect(state()).toBe('Sending…');
      expect(pending()?.querySelector('.msg-text')?.textContent).toBe('popcorn?');

      answer({ ok: true });
      await submit();
      expect(pending()).toBeNull();
      expect(input().value).toBe('');
    });

    it('hides the bubble as soon as the message is in the list (never shown twice)', async () => {
      send.mockReturnValueOnce(new Promise<ChatSendResult>(() => undefined));
      await type('hey <b>Bob</b>'); // the same text as an older message of ours: that one is not it
      await submit();
      expect(pending()).not.toBeNull();
      fixture.componentRef.setInput('messages', [...MESSAGES, { id: 'm9', participantId: 'me', name: 'Ann', text: 'hey <b>Bob</b>', at: at(21, 40), kind: 'user' }]);
      await fixture.whenStable();
      expect(pending()).toBeNull();
    });

    it('fails visibly with a Retry that resends under the same clientId, keeping the text', async () => {
      send.mockResolvedValueOnce({ ok: false, error: { code: 'INTERNAL', message: 'The server did not answer in time' } });
      await type('popcorn?');
      await submit();
      expect(pending()?.dataset['state']).toBe('failed');
      expect(state()).toBe('Not sent');
      expect(input().value).toBe('popcorn?');

      send.mockResolvedValueOnce({ ok: true });
      (q('chat-retry') as HTMLButtonElement).click();
      await submit();
      expect(send.mock.calls[1]).toEqual(['popcorn?', send.mock.calls[0][1]]);
      expect(pending()).toBeNull();
      expect(input().value).toBe('');
    });

    it('keeps what was typed after it when it is confirmed', async () => {
      send.mockResolvedValueOnce({ ok: false, error: { code: 'INTERNAL', message: 'The server did not answer in time' } });
      await type('first');
      await submit();
      await type('second, not sent yet');
      send.mockResolvedValueOnce({ ok: true });
      (q('chat-retry') as HTMLButtonElement).click();
      await submit();
      expect(send.mock.calls[1][0]).toBe('first');
      expect(input().value).toBe('second, not sent yet');
    });

    it('waits while offline and goes out by itself when the connection is back', async () => {
      await goOffline();
      expect(q('chat-offline')?.textContent).toContain('Offline');
      expect(input().disabled).toBe(false);
      await type('still there?');
      await submit();
      expect(send).not.toHaveBeenCalled();
      expect(pending()?.dataset['state']).toBe('waiting');
      expect(state()).toBe('Waiting for the connection…');
      expect(q('chat-retry')).toBeNull();
      expect(input().value).toBe('still there?');

      send.mockResolvedValueOnce({ ok: true });
      await goOnline();
      expect(send).toHaveBeenCalledTimes(1);
      expect(send).toHaveBeenCalledWith('still there?', expect.any(String));
      expect(pending()).toBeNull();
      expect(input().value).toBe('');
    });

    it('resends a message that got no answer, under the same clientId, once the connection is back', async () => {
      send.mockResolvedValueOnce({ ok: false, error: { code: 'INTERNAL', message: 'The server did not answer in time' } });
      await type('frozen?');
      await submit();
      expect(pending()?.dataset['state']).toBe('failed');
      await goOffline();
      expect(q('chat-retry')).toBeNull(); // nothing to click while offline: it goes out by itself
      expect(state()).toBe('Waiting for the connection…');
      send.mockResolvedValueOnce({ ok: true });
      await goOnline();
      expect(send).toHaveBeenCalledTimes(2);
      expect(send.mock.calls[1]).toEqual(['frozen?', send.mock.calls[0][1]]);
      expect(pending()).toBeNull();
    });

    it('tries once more when the connection came back while it was waiting for its answer', async () => {
      let answer: (result: ChatSendResult) => void = () => undefined;
      send.mockReturnValueOnce(new Promise<ChatSendResult>((resolve) => (answer = resolve)));
      await type('frozen?');
      await submit();
      await goOffline();
      await goOnline();
      expect(send).toHaveBeenCalledTimes(1); // still waiting for the first answer
      send.mockResolvedValueOnce({ ok: true });
      answer({ ok: false, error: { code: 'INTERNAL', message: 'The server did not answer in time' } });
      await submit();
      expect(send).toHaveBeenCalledTimes(2);
      expect(send.mock.calls[1][1]).toBe(send.mock.calls[0][1]);
      expect(pending()).toBeNull();
    });

    it('does not resend by itself what the server refused', async () => {
      send.mockResolvedValueOnce({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
      await type('spam');
      await submit();
      await goOffline();
      await goOnline();
      expect(send).toHaveBeenCalledTimes(1);
      expect(pending()?.dataset['state']).toBe('failed');
    });
  });

  it('counts messages that arrive while the reader is scrolled up', async () => {
    const list = q('chat-list') as HTMLElement;
    Object.defineProperty(list, 'scrollHeight', { configurable: true, value: 1000 });
    Object.defineProperty(list, 'clientHeight', { configurable: true, value: 200 });
    list.scrollTop = 100; // far from the bottom
    list.dispatchEvent(new Event('scroll'));
    fixture.componentRef.setInput('messages', [
      ...MESSAGES,
      { id: 'm3', participantId: 'p2', name: 'Bob', text: 'look!', at: at(21, 31) },
    ]);
    await fixture.whenStable();
    expect(el().querySelector('.jump')?.textContent).toContain('1 new message');
    (el().querySelector('.jump') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(list.scrollTop).toBe(1000);
    expect(el().querySelector('.jump')).toBeNull();
  });
});
