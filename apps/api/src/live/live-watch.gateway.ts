import { Logger } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { LIVE_WATCH_LIMITS, LIVE_WATCH_NAMESPACE, type LiveWatchServerEvents } from '@watch-party/contracts';
import type { Namespace, Socket } from 'socket.io';
import { HandshakeRefusal } from '../common/handshake-refusal';
import { LiveWatchHub, type WatchEvent } from './live-watch.hub';
import { HLS_VIEWER_WINDOW_MS, LiveService } from './live.service';

interface WatchData {
  showId: string;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type WatchSocket = Socket<{}, LiveWatchServerEvents, {}, WatchData>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type WatchNamespace = Namespace<{}, LiveWatchServerEvents, {}, WatchData>;

/** A viewer's socket closes this long after `live:end`, so the event gets out first. */
const END_DISCONNECT_DELAY_MS = 100;

/** Bytes waiting to go out on a socket: engine.io's write buffer plus the WebSocket's own. */
export function queuedBytes(socket: Socket): number {
  const conn = socket.conn as unknown as {
    writeBuffer?: { data?: unknown }[];
    transport?: { socket?: { bufferedAmount?: number } };
  };
  let n = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    const d = packet.data;
    if (typeof d === 'string') n += d.length;
    else if (d instanceof ArrayBuffer) n += d.byteLength;
    else if (ArrayBuffer.isView(d)) n += d.byteLength;
  }
  return n;
}

/**
 * `/live-watch` (contract section 11): handshake `auth: { showId }` for a live show; the
 * viewer gets `live:init`, the current GOP, then every fragment. A viewer whose socket holds
 * more than LIVE_WATCH_LIMITS.maxQueuedBytes skips fragments up to the next keyframe.
 */
@WebSocketGateway({ namespace: LIVE_WATCH_NAMESPACE })
export class LiveWatchGateway implements OnGatewayInit {
  private readonly logger = new Logger('LiveWatch');

  constructor(
    private readonly live: LiveService,
    private readonly hub: LiveWatchHub,
  ) {}

  afterInit(nsp: WatchNamespace) {
    nsp.use((socket, next) => {
      const showId = (socket.handshake.auth as { showId?: unknown } | undefined)?.showId;
      if (typeof showId !== 'string') return next(new HandshakeRefusal('SHOW_NOT_FOUND', 'send auth: { showId }'));
      this.live.get(showId).then(
        (show) => {
          if (show.status !== 'live') return next(new HandshakeRefusal('SHOW_NOT_LIVE', 'this show is not live'));
          socket.data.showId = show.id;
          next();
        },
        () => next(new HandshakeRefusal('SHOW_NOT_FOUND', 'no such show')),
      );
    });
    nsp.on('connection', (socket: WatchSocket) => this.connected(socket));
  }

  private connected(socket: WatchSocket) {
    const showId = socket.data.showId;
    /** Until a keyframe comes, fragments are useless to this viewer (start, new run, or skipping). */
    let needKeyframe = true;
    let skipped = 0;
    const send = (event: WatchEvent) => {
      switch (event.kind) {
        case 'init':
          socket.emit('live:init', { codecs: event.codecs, data: asBinary(event.data) });
          needKeyframe = true;
          return;
        case 'fragment':
          if (needKeyframe && !event.keyframe) return;
          if (queuedBytes(socket) + event.data.length > LIVE_WATCH_LIMITS.maxQueuedBytes) {
            needKeyframe = true; // too slow: skip ahead to the next keyframe
            skipped++;
            return;
          }
          needKeyframe = false;
          socket.emit('live:fragment', { seq: event.seq, data: asBinary(event.data), keyframe: event.keyframe, wallclock: event.wallclock });
          return;
        case 'end':
          socket.emit('live:end', {});
          setTimeout(() => socket.disconnect(true), END_DISCONNECT_DELAY_MS);
          return;
      }
    };
    const state = this.hub.state(showId);
    if (state?.init) {
      send({ kind: 'init', showId, ...state.init });
      for (const f of state.gop) send(f);
    }
    const unsubscribe = this.hub.subscribe(showId, send);
    // A WebSocket viewer counts like an HLS one (distinct viewers within the window).
    const mark = () => void this.live.sawWatcher(showId, `ws:${socket.id}`).catch(() => undefined);
    mark();
    const timer = setInterval(mark, HLS_VIEWER_WINDOW_MS / 2);
    socket.on('disconnect', () => {
      clearInterval(timer);
      unsubscribe();
      if (skipped > 0) this.logger.log(`show ${showId}: a slow viewer skipped ahead ${skipped} time(s)`);
    });
  }
}

/** Socket.IO sends a Buffer as binary (an ArrayBuffer in the browser): no copy per viewer. */
function asBinary(data: Buffer): ArrayBuffer {
  return data as unknown as ArrayBuffer;
}
