import { Module } from '@nestjs/common';
import { Broadcaster } from './broadcaster';

/** One Broadcaster per app: the gateway attaches the server, every feature emits through it. */
@Module({ providers: [Broadcaster], exports: [Broadcaster] })
export class RealtimeModule {}
