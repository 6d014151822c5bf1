import { DestroyRef, Injectable, InjectionToken, inject, signal } from '@angular/core';
import {
  FINAL_HANDSHAKE_ERRORS,
  LIVE_INGEST_NAMESPACE,
  handshakeErrorCode,
  type LiveIngestClientEvents,
  type LiveIngestServerEvents,
} from '@watch-party/contracts';
import { io, type Socket } from 'socket.io-client';

export type IngestSocket = Socket<LiveIngestServerEvents, LiveIngestClientEvents>;

/** MediaRecorder timeslice: each `chunk` carries this much media. */
export const TIMESLICE_MS = 500;
const VIDEO_BITS_PER_SECOND = 2_500_000;
const AUDIO_BITS_PER_SECOND = 128_000;
/**
 * A dropped or refused-for-now connection is retried this many times (the server keeps the
 * show for 15 s).
 */
export const MAX_RETRIES = 5;
export const RETRY_MS = 2000;
/** How long stop() waits for the server to acknowledge `end`. */
const END_ACK_TIMEOUT_MS = 5000;
const CONNECT_FAILED = "Couldn't connect to the server";
const CONNECTION_LOST = 'Connection lost. Check your network and go live again.';

/** Opens the `/live-ingest` socket for a stream key; replaced in tests. */
export const INGEST_SOCKET_FACTORY = new InjectionToken<(streamKey: string) => IngestSocket>('INGEST_SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (streamKey: string) =>
    io(LIVE_INGEST_NAMESPACE, {
      path: '/socket.io',
      auth: { streamKey, timesliceMs: TIMESLICE_MS },
      transports: ['websocket'],
      reconnection: false,
      autoConnect: false,
    }),
});

/** The first container + codecs this browser records: webm VP8/Opus preferred. */
export function pickRecorderMimeType(isSupported: (type: string) => boolean): string | null {
  const candidates = [
    'video/webm;codecs=vp8,opus',
    'video/webm;codecs=vp9,opus',
    'video/webm;codecs=h264,opus',
    'video/webm',
    'video/mp4;codecs=avc1,mp4a',
    'video/mp4',
  ];
  return candidates.find((type) => isSupported(type)) ?? null;
}

/**
 * - `connecting`: opening the ingest connection
 * - `live`: recording and sending chunks
 * - `reconnecting`: the connection dropped; trying again with a fresh recording
 * - `stopped`: ended by the user (the show is over) or by the server (see `problem`)
 */
export type BroadcastStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopping' | 'stopped';

/** Publishes a MediaStream from this browser: MediaRecorder chunks over `/live-ingest`. */
@Injectable()
export class LiveBroadcastService {
  private readonly createSocket = inject(INGEST_SOCKET_FACTORY);
  private socket: IngestSocket | null = null;
  private recorder: MediaRecorder | null = null;
  private stream: MediaStream | null = null;
  private streamKey = '';
  private sending: Promise<unknown> = Promise.resolve();
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  readonly status = signal<BroadcastStatus>('idle');
  readonly problem = signal<string | null>(null);
  /** epoch ms when this broadcast went live */
  readonly startedAt = signal<number | null>(null);
  readonly bytesSent = signal(0);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.teardown());
  }

  get supported(): boolean {
    return typeof MediaRecorder !== 'undefined' && pickRecorderMimeType((t) => MediaRecorder.isTypeSupported(t)) !== null;
  }

  /** Goes live with `stream`; resolves once the server accepted the stream key. */
  async start(stream: MediaStream, streamKey: string): Promise<void> {
    if (this.status() === 'live' || this.status() === 'connecting') return;
    this.stream = stream;
    this.streamKey = streamKey;
    this.retries = 0;
    this.problem.set(null);
    this.bytesSent.set(0);
    this.status.set('connecting');
    await this.open();
  }

  /** Stops publishing and ends the show. */
  async stop(): Promise<void> {
    const socket = this.socket;
    clearTimeout(this.retryTimer);
    if (!socket) {
      this.teardown();
      this.status.set('stopped');
      return;
    }
    this.status.set('stopping');
    await this.stopRecorder();
    await this.sending;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, END_ACK_TIMEOUT_MS);
      socket.emit('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.teardown();
    this.status.set('stopped');
  }

  private open(): Promise<void> {
    const socket = this.createSocket(this.streamKey);
    this.socket = socket;
    return new Promise((resolve) => {
      socket.once('connect', () => {
        this.retries = 0;
        this.record(socket);
        resolve();
      });
      socket.once('connect_error', (err) => {
        this.closeSocket(socket);
        // Decided from the code the server put in `err.data`: a wrong key, an ended show or a
        // second publisher will not pass on retry; a restart, a full address or a network
        // failure (no code) may.
        const code = handshakeErrorCode(err);
        if (code !== null && FINAL_HANDSHAKE_ERRORS.includes(code)) this.fail(err.message || CONNECT_FAILED);
        else this.scheduleRetry(this.status() === 'reconnecting' ? CONNECTION_LOST : err.message || CONNECT_FAILED);
        resolve();
      });
      socket.on('ingest:stopped', ({ reason }) => this.fail(reason));
      socket.on('disconnect', () => {
        if (this.socket !== socket || this.status() !== 'live') return;
        void this.stopRecorder();
        this.closeSocket(socket);
        this.status.set('reconnecting');
        this.scheduleRetry(CONNECTION_LOST);
      });
      socket.connect();
    });
  }

  /** Tries again in RETRY_MS, or gives up with `message` after MAX_RETRIES in a row. */
  private scheduleRetry(message: string) {
    if (this.retries++ >= MAX_RETRIES) {
      this.fail(message);
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.open(), RETRY_MS);
  }

  /** A fresh recorder per connection: each connection's data starts with its own header. */
  private record(socket: IngestSocket) {
    const stream = this.stream;
    if (!stream) return;
    const mimeType = pickRecorderMimeType((t) => MediaRecorder.isTypeSupported(t));
    let recorder: MediaRecorder;
    try {
      recorder = new MediaRecorder(stream, {
        ...(mimeType ? { mimeType } : {}),
        videoBitsPerSecond: VIDEO_BITS_PER_SECOND,
        audioBitsPerSecond: AUDIO_BITS_PER_SECOND,
      });
    } catch {
      this.fail("This browser can't record this camera or screen.");
      return;
    }
    this.recorder = recorder;
    recorder.ondataavailable = (event) => {
      if (event.data.size === 0) return;
      // Keep the chunks in order: each waits for the previous one's bytes.
      this.sending = this.sending.then(async () => {
        const data = await event.data.arrayBuffer();
        if (!socket.connected) return;
        socket.emit('chunk', data);
        this.bytesSent.update((n) => n + data.byteLength);
      });
    };
    recorder.onerror = () => this.fail('Recording failed. Try again.');
    recorder.start(TIMESLICE_MS);
    this.startedAt.update((t) => t ?? Date.now());
    this.status.set('live');
  }

  private stopRecorder(): Promise<void> {
    const recorder = this.recorder;
    this.recorder = null;
    if (!recorder || recorder.state === 'inactive') return Promise.resolve();
    return new Promise((resolve) => {
      recorder.addEventListener('stop', () => resolve(), { once: true });
      recorder.stop();
    });
  }

  private fail(message: string) {
    this.problem.set(message);
    this.teardown();
    this.status.set('stopped');
  }

  private closeSocket(socket: IngestSocket) {
    socket.removeAllListeners();
    socket.disconnect();
    if (this.socket === socket) this.socket = null;
  }

  private teardown() {
    clearTimeout(this.retryTimer);
    const recorder = this.recorder;
    this.recorder = null;
    if (recorder && recorder.state !== 'inactive') recorder.stop();
    if (this.socket) this.closeSocket(this.socket);
  }
}
