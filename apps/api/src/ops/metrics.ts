import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of this replica; one registry per app so tests can run several. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly sockets = new Gauge({ name: 'wp_connected_sockets', help: 'Socket.IO clients connected to this replica', registers: [this.registry] });
  readonly sessions = new Gauge({ name: 'wp_active_sessions', help: 'Sessions with at least one socket on this replica', registers: [this.registry] });
  readonly events = new Counter({ name: 'wp_socket_events_total', help: 'Client events received, by type and outcome', labelNames: ['event', 'outcome'], registers: [this.registry] });
  readonly ackLatency = new Histogram({
    name: 'wp_ack_latency_seconds',
    help: 'Time from receiving a client event to answering its acknowledgement',
    labelNames: ['event'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({ name: 'wp_rate_limited_total', help: 'Requests and events refused by a rate limit', labelNames: ['kind'], registers: [this.registry] });
  readonly refusals = new Counter({ name: 'wp_refusals_total', help: 'Client requests refused by an abuse limit, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly transcodeJobs = new Counter({ name: 'wp_transcode_jobs_total', help: 'Transcode jobs finished, by result', labelNames: ['result'], registers: [this.registry] });
  readonly transcodesRunning = new Gauge({ name: 'wp_transcodes_running', help: 'ffmpeg transcodes running on this replica', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
