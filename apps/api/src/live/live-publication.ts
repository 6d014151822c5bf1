import { LIVE_LIMITS } from '@watch-party/contracts';
import type { Clock, Timer } from '../common/clock';
import type { RefusalReason } from '../ops/refusals';
import { BitrateMeter } from './bitrate-meter';
import type { Packager } from './live-encoder';

/** A publisher refreshes its slot and `lastPublisherAt` this often. */
export const HEARTBEAT_MS = 2000;

export type PublisherKind = 'rtmp' | 'browser';

/** A publisher in progress on this replica. */
export interface Publication {
  readonly showId: string;
  /** False when the publisher must be cut (over the bitrate cap, or ffmpeg can't keep up). */
  write(data: Buffer): boolean;
  /** The publisher is gone; the show ends if nobody publishes again within the grace. */
  close(): Promise<void>;
  /** Set by the transport: cut the publisher with a reason. */
  onKick(fn: (reason: string) => void): void;
}

/** What a publication asks of ingest (live-ingest.service.ts). */
export interface PublicationHost {
  readonly maxIngestKbps: number;
  startPackager(p: LocalPublication): Packager;
  /** Refreshes the slot: 'ended' when the show ended, 'lost' when another publisher took it. */
  heartbeat(p: LocalPublication): Promise<'ok' | 'ended' | 'lost'>;
  /** The publication is over: forget it, free its slot. */
  released(p: LocalPublication): Promise<void>;
  log(message: string): void;
  refused(reason: RefusalReason, offender: string, detail: string): void;
}

/** Who publishes, and where its packager run goes. */
export interface PublicationRun {
  showId: string;
  /** this publication's hold on the show's slot */
  owner: string;
  kind: PublisherKind;
  run: number;
  startNumber: number;
  inputLeadMs: number;
  dir: string;
  /** the publisher's client address: refusals are counted against it */
  remoteAddress: string;
}

/** One publisher connection on this replica: bitrate cap, its packager, heartbeats. */
export class LocalPublication implements Publication, PublicationRun {
  readonly showId: string;
  readonly owner: string;
  readonly kind: PublisherKind;
  readonly run: number;
  readonly startNumber: number;
  readonly inputLeadMs: number;
  readonly dir: string;
  readonly remoteAddress: string;
  private readonly packager: Packager;
  private readonly meter: BitrateMeter;
  private readonly timer: Timer;
  private kickFn: ((reason: string) => void) | null = null;
  private closed = false;
  /** Settles once the packager has exited (its files are complete). */
  readonly stopped: Promise<void>;

  constructor(
    private readonly host: PublicationHost,
    clock: Clock,
    run: PublicationRun,
  ) {
    this.showId = run.showId;
    this.owner = run.owner;
    this.kind = run.kind;
    this.run = run.run;
    this.startNumber = run.startNumber;
    this.inputLeadMs = run.inputLeadMs;
    this.dir = run.dir;
    this.remoteAddress = run.remoteAddress;
    this.meter = new BitrateMeter(host.maxIngestKbps * 1000, LIVE_LIMITS.bitrateWindowMs, () => clock.now());
    this.packager = host.startPackager(this);
    this.stopped = this.packager.done;
    this.timer = clock.setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  /** Frames per second of the output video lately; null without video. */
  outputFps(): number | null {
    return this.packager.outputFps();
  }

  onKick(fn: (reason: string) => void) {
    this.kickFn = fn;
  }

  write(data: Buffer): boolean {
    if (this.closed) return false;
    if (!this.meter.add(data.length)) {
      const kbps = this.host.maxIngestKbps;
      const windowS = LIVE_LIMITS.bitrateWindowMs / 1000;
      this.host.refused('live_bitrate', this.remoteAddress, `show ${this.showId}: ${this.kind} ingest above ${kbps} kbit/s over ${windowS} s`);
      this.kick(`ingest above the ${kbps} kbit/s limit (LIVE_MAX_KBPS), averaged over ${windowS} s`);
      void this.close();
      return false;
    }
    if (this.packager.write(data)) return true;
    // Dropping bytes would corrupt the stream without a word: cut the publisher with the reason.
    this.host.log(`show ${this.showId}: the encoder fell behind the ${this.kind} publisher; cut`);
    this.kick('the server cannot encode this stream in real time; lower the bitrate, resolution or frame rate');
    void this.close();
    return false;
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancel();
    await this.packager.finish();
    await this.host.released(this);
  }

  /** Cut the publisher (its transport closes), then close. */
  async stop(reason: string) {
    this.kick(reason);
    await this.close();
  }

  /** The packager exited: unexpected while publishing (undecodable input), so the publisher is cut. */
  onPackagerExit(code: number | null, stderr: string) {
    if (this.closed) return;
    this.host.log(`show ${this.showId}: packager exited (${code}) while publishing: ${stderr.trim().split('\n').pop() ?? ''}`);
    this.kick('the server could not decode this stream (H.264/AAC over RTMP, or MediaRecorder webm, are expected)');
    void this.close();
  }

  private kick(reason: string) {
    const fn = this.kickFn;
    this.kickFn = null;
    fn?.(reason);
  }

  private async beat() {
    if (this.closed) return;
    try {
      const result = await this.host.heartbeat(this);
      if (result === 'ended') await this.stop('the show has ended');
      else if (result === 'lost') await this.stop('publishing slot lost; reconnect');
    } catch {
      // Redis hiccup: the lock has a few seconds of slack; try again next beat.
    }
  }
}
