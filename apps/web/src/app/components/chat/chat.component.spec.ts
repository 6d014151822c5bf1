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
