import { Logger } from '@nestjs/common';
import { type Job, Queue, Worker } from 'bullmq';
import type { RedisService } from '../redis/redis.service';

export type JobHandler = (mediaId: string, signal: AbortSignal) => Promise<void>;

/**
 * Transcode jobs: at most `concurrency` at once on this replica. `cancel` stops a job
 * that is waiting anywhere or running here, and returns once a job running here has stopped
 * (its ffmpeg children gone: nothing writes into the item's folder any more). Running
 * elsewhere: the handler notices the media item is gone on its next progress write.
 */
export abstract class JobQueue {
  protected readonly running = new Map<string, AbortController>();
  /** The handlers running here, settled (never rejected) when they return. */
  private readonly finished = new Map<string, Promise<void>>();
  /** Do waiting and running jobs outlive this process (a restarted one picks them up)? */
  abstract readonly durable: boolean;
  abstract start(handler: JobHandler): Promise<void>;
  abstract enqueue(mediaId: string): Promise<void>;
  abstract close(): Promise<void>;

  async cancel(mediaId: string): Promise<void> {
    this.running.get(mediaId)?.abort();
    await this.finished.get(mediaId);
  }

  protected async runTracked(mediaId: string, handler: JobHandler): Promise<void> {
    const controller = new AbortController();
    this.running.set(mediaId, controller);
    const job = handler(mediaId, controller.signal);
    const done = job.then(
      () => undefined,
      () => undefined,
    );
    this.finished.set(mediaId, done);
    try {
      await job;
    } finally {
      this.running.delete(mediaId);
      if (this.finished.get(mediaId) === done) this.finished.delete(mediaId);
    }
  }
}

/** Single process: a FIFO in memory. Jobs die with the process; the next start queues them again. */
export class InProcessJobQueue extends JobQueue {
  readonly durable = false;
  private readonly waiting: string[] = [];
  private handler: JobHandler | null = null;
  private active = 0;
  private readonly logger = new Logger('Jobs');

  constructor(private readonly concurrency: number) {
    super();
  }

  async start(handler: JobHandler) {
    this.handler = handler;
    this.pump();
  }

  async enqueue(mediaId: string) {
    this.waiting.push(mediaId);
    this.pump();
  }

  override async cancel(mediaId: string) {
    const i = this.waiting.indexOf(mediaId);
    if (i >= 0) this.waiting.splice(i, 1);
    await super.cancel(mediaId);
  }

  async close() {
    this.waiting.length = 0;
    for (const c of this.running.values()) c.abort();
  }

  private pump() {
    const handler = this.handler;
    while (handler && this.active < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift() as string;
      this.active++;
      this.runTracked(id, handler)
        .catch((err: unknown) => this.logger.warn(`job ${id}: ${(err as Error).message}`))
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }
}

const QUEUE = 'wp-transcode';

/** Replicas share one BullMQ queue: any replica runs a job; a job whose worker dies is retried. */
export class BullJobQueue extends JobQueue {
  readonly durable = true;
  private readonly queue: Queue;
  private worker: Worker | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly concurrency: number,
  ) {
    super();
    this.queue = new Queue(QUEUE, { connection: redis.connect('jobs-queue', { maxRetriesPerRequest: null }) });
    this.queue.on('error', () => undefined); // connection blips; readiness reports Redis
  }

  async start(handler: JobHandler) {
    this.worker = new Worker(QUEUE, (job: Job<{ mediaId: string }>) => this.runTracked(job.data.mediaId, handler), {
      connection: this.redis.connect('jobs-worker', { maxRetriesPerRequest: null }),
      concurrency: this.concurrency,
      // A crashed worker's job is picked up again after this long without a lock renewal.
      lockDuration: 15_000,
      stalledInterval: 10_000,
      maxStalledCount: 2,
    });
    this.worker.on('error', () => undefined); // connection blips; BullMQ reconnects
  }

  async enqueue(mediaId: string) {
    await this.queue.add('transcode', { mediaId }, { jobId: mediaId, removeOnComplete: true, removeOnFail: 100 });
  }

  override async cancel(mediaId: string) {
    await this.queue.remove(mediaId).catch(() => 0); // waiting: removed; active elsewhere: locked, left to its handler
    await super.cancel(mediaId);
  }

  async close() {
    for (const c of this.running.values()) c.abort();
    await this.worker?.close(true);
    await this.queue.close();
  }
}
