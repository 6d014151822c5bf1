import { type BeforeApplicationShutdown, Injectable, type OnModuleInit } from '@nestjs/common';
import { LiveIngest } from './live-ingest.service';
import { LiveRecorder } from './live-recorder';
import { LiveRtmp } from './live-rtmp';
import { LiveSweeper } from './live-sweeper';

/** Shutdown waits this long for recordings being imported. */
export const SHUTDOWN_GRACE_MS = 5000;

/** Starts and stops the live parts in order (Nest runs one provider's hooks, in parallel with others'). */
@Injectable()
export class LiveLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    private readonly sweeper: LiveSweeper,
    private readonly rtmp: LiveRtmp,
    private readonly ingest: LiveIngest,
    private readonly recorder: LiveRecorder,
  ) {}

  async onModuleInit() {
    this.sweeper.start();
    await this.rtmp.start();
  }

  /** Publishers here are cut and new ones refused; recordings in progress get SHUTDOWN_GRACE_MS. */
  async beforeApplicationShutdown() {
    this.ingest.refuseNew();
    this.sweeper.stop();
    await this.rtmp.stop();
    await this.ingest.stopAll('server shutting down');
    await this.recorder.drain(SHUTDOWN_GRACE_MS);
  }
}
