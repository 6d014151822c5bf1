import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { SessionModule } from '../session/session.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ActivityService } from './activity.service';
import { ChatService } from './chat.service';
import { EventRouter } from './event-router';
import { GroupService } from './group.service';
import { PlaybackService } from './playback.service';
import { PresenceService } from './presence.service';
import { QueueService } from './queue.service';
import { SupervisorService } from './supervisor.service';
import { SyncGateway } from './sync.gateway';

@Module({
  imports: [SessionModule, RealtimeModule, MediaModule],
  providers: [
    SyncGateway,
    EventRouter,
    PresenceService,
    PlaybackService,
    ActivityService,
    QueueService,
    ChatService,
    GroupService,
    SupervisorService,
  ],
})
export class SyncModule {}
