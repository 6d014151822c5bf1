import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Metrics } from './metrics';

/** Why something a client sent was refused: the label of `wp_refusals_total`. */
export type RefusalReason =
  | 'rtmp_connections'
  | 'rtmp_connections_per_address'
  | 'rtmp_publish_timeout'
  | 'rtmp_chunk_size'
  | 'rtmp_chunk_streams'
  | 'rtmp_message_size'
  | 'rtmp_unfinished_bytes'
  | 'rtmp_protocol'
  | 'live_bitrate'
  | 'upload_rate'
  | 'upload_aborted'
  | 'upload_stalled'
  | 'upload_too_large'
  | 'media_quota'
  | 'media_not_video'
  | 'media_too_long'
  | 'media_too_large_frame'
  | 'media_fps'
  | 'transcode_timeout'
  | 'password_attempts'
  | 'session_create_rate'
  | 'sockets_per_address';

/** How long one offender's repeats of one reason stay quiet in the log. */
const QUIET_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * Every refusal of an abuse limit goes through here: counted in /metrics by reason, and logged
 * once per offender and reason (then quiet for 10 minutes), so an attack cannot flood the log.
 */
@Injectable()
export class Refusals {
  private readonly logger = new Logger('Refusal');
  /** `${reason} ${offender}` -> when it was last logged */
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {}

  /** Counts one refusal; logs it unless this offender had this reason logged recently. */
  record(reason: RefusalReason, offender: string, detail: string): void {
    this.metrics.refusals.inc({ reason });
    const key = `${reason} ${offender}`;
    const now = this.clock.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last < QUIET_MS) return;
    if (this.logged.size >= MAX_REMEMBERED) this.forgetOld(now);
    this.logged.delete(key); // re-insert: Map order is the eviction order
    this.logged.set(key, now);
    this.logger.warn(`${reason} from ${offender}: ${detail}`);
  }

  private forgetOld(now: number) {
    for (const [k, t] of this.logged) {
      if (now - t >= QUIET_MS || this.logged.size >= MAX_REMEMBERED) this.logged.delete(k);
      else break;
    }
  }
}
