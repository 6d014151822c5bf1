import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { PartyConnectionService } from '../../services/party-connection.service';
import { ChatComponent, type ChatSender } from './chat.component';

/**
 * The chat of the page's party (PartyConnectionService): its messages and sending. Off until the
 * first snapshot; while the connection is being retried one can still write, and the message
 * goes out when it is back.
 */
@Component({
  selector: 'wp-party-chat',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ChatComponent],
  host: { style: 'display: contents' },
  template: `
    <wp-chat
      class="fill"
      [messages]="socket.chat()"
      [youId]="socket.you()?.id ?? null"
      [send]="send"
      [disabled]="!canWrite()"
      [online]="socket.status() === 'connected'"
    />
  `,
})
export class PartyChatComponent {
  private readonly party = inject(PartyConnectionService);
  protected readonly socket = this.party.socket;
  protected readonly canWrite = computed(() => {
    const status = this.socket.status();
    return this.socket.hasSnapshot() && (status === 'connected' || status === 'reconnecting');
  });
  protected readonly send: ChatSender = (text, clientId) => this.party.sendChat(text, clientId);
}
