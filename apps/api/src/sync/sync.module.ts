import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module';
import { Broadcaster } from './broadcaster';
import { ChatService } from './chat.service';
import { EventRouter } from './event-router';
import { GroupService } from './group.service';
import { PlaybackService } from './playback.service';
import { PresenceService } from './presence.service';
import { SupervisorService } from './supervisor.service';
import { SyncGateway } from './sync.gateway';

@Module({
  imports: [SessionModule],
  providers: [
    SyncGateway,
    EventRouter,
    Broadcaster,
    PresenceService,
    PlaybackService,
    ChatService,
    GroupService,
    SupervisorService,
  ],
  exports: [Broadcaster],
})
export class SyncModule {}
