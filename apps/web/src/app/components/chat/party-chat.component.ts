import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { PartyConnectionService } from '../../services/party-connection.service';
import { ChatComponent, type ChatSender } from './chat.component';

/** The chat of the page's party (PartyConnectionService): its messages, sending, off while disconnected. */
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
      [disabled]="socket.status() !== 'connected'"
    />
  `,
})
export class PartyChatComponent {
  private readonly party = inject(PartyConnectionService);
  protected readonly socket = this.party.socket;
  protected readonly send: ChatSender = (text, clientId) => this.party.sendChat(text, clientId);
}
