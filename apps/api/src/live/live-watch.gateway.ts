import { Logger } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { LIVE_WATCH_LIMITS, LIVE_WATCH_NAMESPACE, type LiveWatchServerEvents } from '@watch-party/contracts';
import type { Namespace, Socket } from 'socket.io';
import { HandshakeRefusal } from '../common/handshake-refusal';
import { LiveWatchHub, type WatchEvent } from './live-watch.hub';
import { LiveShows } from './live-shows.service';
import { HLS_VIEWER_WINDOW_MS, LiveViewers } from './live-viewers';

interface WatchData {
  showId: string;
  /** The creator's own preview: not counted as a viewer. */
  preview: boolean;
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
    private readonly shows: LiveShows,
    private readonly viewers: LiveViewers,
    private readonly hub: LiveWatchHub,
  ) {}

  afterInit(nsp: WatchNamespace) {
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth as { showId?: unknown; preview?: unknown } | undefined;
      const showId = auth?.showId;
      if (typeof showId !== 'string') return next(new HandshakeRefusal('SHOW_NOT_FOUND', 'send auth: { showId }'));
      this.shows.get(showId).then(
        (show) => {
          if (show.status !== 'live') return next(new HandshakeRefusal('SHOW_NOT_LIVE', 'this show is not live'));
          socket.data.showId = show.id;
          socket.data.preview = auth?.preview === true;
          next();
        },
        () => next(new HandshakeRefusal('SHOW_NOT_FOUND', 'no such show')),
      );
    });
    nsp.on('connection', (socket: WatchSocket) => this.connected(socket));
  }

  private connected(socket: WatchSocket) {
    const showId = socket.data.showId;
    const feed = new ViewerFeed(
      {
        init: (codecs, data) => socket.emit('live:init', { codecs, data: asBinary(data) }),
        fragment: (f) => socket.emit('live:fragment', { seq: f.seq, data: asBinary(f.data), keyframe: f.keyframe, wallclock: f.wallclock }),
        end: () => {
          socket.emit('live:end', {});
          setTimeout(() => socket.disconnect(true), END_DISCONNECT_DELAY_MS);
        },
      },
      () => queuedBytes(socket),
    );
    const send = (event: WatchEvent) => feed.handle(event);
    const state = this.hub.state(showId);
    if (state?.init) {
      send({ kind: 'init', showId, ...state.init });
      for (const f of state.gop) send(f);
    }
    const unsubscribe = this.hub.subscribe(showId, send);
    // A WebSocket viewer counts like an HLS one (distinct viewers within the window).
    const mark = () => void this.viewers.sawWatcher(showId, `ws:${socket.id}`).catch(() => undefined);
    // The creator's own preview (`auth.preview: true`) is not an audience member.
    const timer = socket.data.preview ? null : setInterval(mark, HLS_VIEWER_WINDOW_MS / 2);
    if (timer) mark();
    socket.on('disconnect', () => {
      if (timer) clearInterval(timer);
      unsubscribe();
      if (feed.skipped > 0) this.logger.log(`show ${showId}: a slow viewer skipped ahead ${feed.skipped} time(s)`);
    });
  }
}

/**
 * One viewer's stream: a fragment goes out only when the viewer can start from it (after a
 * keyframe since its last init or skip) and when its socket holds less than `maxQueuedBytes`;
 * past that, fragments are dropped up to the next keyframe (the viewer skips ahead).
 */
export class ViewerFeed {
  private needKeyframe = true;
  skipped = 0;

  constructor(
    private readonly out: {
      init(codecs: string, data: Buffer): void;
      fragment(f: Extract<WatchEvent, { kind: 'fragment' }>): void;
      end(): void;
    },
    private readonly queued: () => number,
    private readonly maxQueuedBytes = LIVE_WATCH_LIMITS.maxQueuedBytes,
  ) {}

  handle(event: WatchEvent) {
    switch (event.kind) {
      case 'init':
        this.out.init(event.codecs, event.data);
        this.needKeyframe = true;
        return;
      case 'fragment':
        if (this.needKeyframe && !event.keyframe) return;
        if (this.queued() + event.data.length > this.maxQueuedBytes) {
          if (!this.needKeyframe) this.skipped++;
          this.needKeyframe = true;
          return;
        }
        this.needKeyframe = false;
        this.out.fragment(event);
        return;
      case 'end':
        this.out.end();
        return;
    }
  }
}

/** Socket.IO sends a Buffer as binary (an ArrayBuffer in the browser): no copy per viewer. */
function asBinary(data: Buffer): ArrayBuffer {
  return data as unknown as ArrayBuffer;
}
