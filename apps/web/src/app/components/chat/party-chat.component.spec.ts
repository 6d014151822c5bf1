import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { ChatMessage } from '@watch-party/contracts';
import { PartyConnectionService } from '../../services/party-connection.service';
import type { ConnectionStatus } from '../../services/session-socket.service';
import { PartyChatComponent } from './party-chat.component';

const MESSAGE: ChatMessage = { id: 'm1', participantId: 'p2', name: 'Bob', text: 'hi all', at: 0, kind: 'user' };

describe('PartyChatComponent', () => {
  let fixture: ComponentFixture<PartyChatComponent>;
  const socket = {
    chat: signal<ChatMessage[]>([]),
    you: signal({ id: 'me' }),
    status: signal<ConnectionStatus>('connecting'),
    hasSnapshot: signal(false),
  };
  const sendChat = jest.fn();
  const q = <T extends HTMLElement>(id: string) => (fixture.nativeElement as HTMLElement).querySelector<T>(`[data-testid="${id}"]`);

  beforeEach(async () => {
    socket.chat.set([]);
    socket.status.set('connecting');
    socket.hasSnapshot.set(false);
    sendChat.mockReset().mockResolvedValue({ ok: true });
    TestBed.configureTestingModule({ providers: [{ provide: PartyConnectionService, useValue: { socket, sendChat } }] });
    fixture = TestBed.createComponent(PartyChatComponent);
    await fixture.whenStable();
  });

  it("shows the party's messages and sends through the party's connection once connected", async () => {
    expect(q<HTMLInputElement>('chat-input')?.disabled).toBe(true);
    socket.chat.set([MESSAGE]);
    socket.status.set('connected');
    socket.hasSnapshot.set(true);
    await fixture.whenStable();
    expect(q('chat-message')?.textContent).toContain('hi all');

    const input = q<HTMLInputElement>('chat-input') as HTMLInputElement;
    expect(input.disabled).toBe(false);
    input.value = 'hello';
    input.dispatchEvent(new Event('input'));
    input.form?.dispatchEvent(new Event('submit', { cancelable: true }));
    await fixture.whenStable();
    expect(sendChat).toHaveBeenCalledWith('hello', expect.any(String));
  });

  it('lets one write while reconnecting and sends it once the connection is back', async () => {
    socket.hasSnapshot.set(true);
    socket.status.set('reconnecting');
    await fixture.whenStable();
    const input = q<HTMLInputElement>('chat-input') as HTMLInputElement;
    expect(input.disabled).toBe(false);
    expect(q('chat-offline')).not.toBeNull();
    input.value = 'back soon';
    input.dispatchEvent(new Event('input'));
    input.form?.dispatchEvent(new Event('submit', { cancelable: true }));
    await fixture.whenStable();
    expect(sendChat).not.toHaveBeenCalled();
    expect(q('chat-pending')?.dataset['state']).toBe('waiting');

    socket.status.set('connected');
    await fixture.whenStable();
    expect(sendChat).toHaveBeenCalledWith('back soon', expect.any(String));
  });

  it('stays off after being removed or refused', async () => {
    socket.hasSnapshot.set(true);
    for (const status of ['kicked', 'rejected', 'idle'] as const) {
      socket.status.set(status);
      await fixture.whenStable();
      expect(q<HTMLInputElement>('chat-input')?.disabled).toBe(true);
    }
  });
});
