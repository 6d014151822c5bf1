import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, type Timer } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LiveIngest } from './live-ingest.service';
import { LiveShows } from './live-shows.service';
import { LiveRepository } from './live.repository';

/** A scheduled show nobody ever published to is closed after a day. */
export const SCHEDULED_TTL_MS = 24 * 60 * 60 * 1000;
/** The sweeper runs every half grace, within these bounds. */
export const SWEEP_MIN_MS = 200;
export const SWEEP_MAX_MS = 1000;

/** How often the sweeper runs for a publisher grace. */
export function sweepEvery(graceMs: number): number {
  return Math.max(SWEEP_MIN_MS, Math.min(SWEEP_MAX_MS, graceMs / 2));
}

/**
 * Every replica, periodically: ends live shows whose publisher has been gone longer than
 * LIVE_PUBLISHER_GRACE_MS (its replica may have died), and scheduled shows older than a day.
 */
@Injectable()
export class LiveSweeper {
  private readonly logger = new Logger('Live');
  private timer: Timer | null = null;

  constructor(
    private readonly repo: LiveRepository,
    private readonly ingest: LiveIngest,
    private readonly shows: LiveShows,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  start(): void {
    this.timer ??= this.clock.setInterval(
      () => void this.sweep().catch((err: Error) => this.logger.warn(`sweep: ${err.message}`)),
      sweepEvery(this.config.livePublisherGraceMs),
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  async sweep(): Promise<void> {
    const now = this.clock.now();
    for (const r of await this.repo.list()) {
      if (r.status === 'live') {
        if (this.ingest.isLocal(r.id)) continue;
        if (r.lastPublisherAt !== null && now - r.lastPublisherAt <= this.config.livePublisherGraceMs) continue;
        if (await this.repo.publisherHeld(r.id)) continue;
        await this.shows.end(r.id);
      } else if (r.status === 'scheduled' && now - Date.parse(r.createdAt) > SCHEDULED_TTL_MS) {
        await this.shows.end(r.id);
      }
    }
  }
}
