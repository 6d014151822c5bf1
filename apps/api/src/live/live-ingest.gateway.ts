import { Logger } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { LIVE_INGEST_NAMESPACE, type LiveIngestClientEvents, type LiveIngestServerEvents } from '@watch-party/contracts';
import type { Namespace, Socket } from 'socket.io';
import { HandshakeRefusal } from '../common/handshake-refusal';
import { LiveIngest, LiveRefusal } from './live-ingest.service';
import type { Publication } from './live-publication';
import { LiveShows } from './live-shows.service';

interface IngestData {
  publication: Publication;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type IngestSocket = Socket<LiveIngestClientEvents, LiveIngestServerEvents, {}, IngestData>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type IngestNamespace = Namespace<LiveIngestClientEvents, LiveIngestServerEvents, {}, IngestData>;

/** Longest MediaRecorder timeslice we correct the capture time for. */
const MAX_TIMESLICE_MS = 5000;
/** A kicked publisher's socket closes this long after `ingest:stopped`, so the event gets out first. */
const KICK_DISCONNECT_DELAY_MS = 50;

/** The `connect_error` of a refused publisher: the English reason, and its code in `data`. */
export function ingestHandshakeError(err: unknown): HandshakeRefusal {
  return err instanceof LiveRefusal ? new HandshakeRefusal(err.code, err.message) : new HandshakeRefusal('REFUSED', 'refused');
}

/**
 * Browser publishing: handshake `auth: { streamKey, timesliceMs? }`,
 * `chunk` events carry MediaRecorder data (1 MiB each at most, enforced by the server's
 * buffer size), `end` stops publishing and ends the show.
 */
@WebSocketGateway({ namespace: LIVE_INGEST_NAMESPACE })
export class LiveIngestGateway implements OnGatewayInit {
  private readonly logger = new Logger('LiveIngest');

  constructor(
    private readonly ingest: LiveIngest,
    private readonly shows: LiveShows,
  ) {}

  afterInit(nsp: IngestNamespace) {
    nsp.use((socket, next) => {
      const auth = (socket.handshake.auth ?? {}) as { streamKey?: unknown; timesliceMs?: unknown };
      const timeslice = typeof auth.timesliceMs === 'number' && Number.isFinite(auth.timesliceMs) ? auth.timesliceMs : 0;
      const lead = Math.min(Math.max(0, timeslice), MAX_TIMESLICE_MS);
      this.ingest.openPublisher(auth.streamKey, 'browser', lead, socket.handshake.address).then(
        (publication) => {
          socket.data.publication = publication;
          // Whatever happens next (even a connection lost during the handshake), free the slot.
          socket.conn.once('close', () => void publication.close());
          next();
        },
        (err: unknown) => {
          if (!(err instanceof LiveRefusal)) this.logger.warn(`ingest handshake failed: ${(err as Error).message}`);
          next(ingestHandshakeError(err));
        },
      );
    });
    nsp.on('connection', (socket: IngestSocket) => this.connected(socket));
  }

  private connected(socket: IngestSocket) {
    const publication = socket.data.publication;
    if (!publication) {
      socket.disconnect(true);
      return;
    }
    publication.onKick((reason) => {
      socket.emit('ingest:stopped', { reason });
      setTimeout(() => socket.disconnect(true), KICK_DISCONNECT_DELAY_MS);
    });
    socket.on('disconnect', () => void publication.close());
    socket.on('chunk', (data, ack) => {
      const bytes = toBuffer(data);
      const reply = typeof ack === 'function' ? ack : () => undefined;
      if (!bytes) return reply({ ok: false, error: 'chunk must be binary data' });
      reply(publication.write(bytes) ? { ok: true } : { ok: false, error: 'publishing stopped' });
    });
    socket.on('end', (ack) => {
      void (async () => {
        await publication.close();
        await this.shows.end(publication.showId);
        if (typeof ack === 'function') ack({ ok: true });
        socket.disconnect(true);
      })();
    });
    socket.emit('ingest:ready', { showId: publication.showId });
  }
}

function toBuffer(data: unknown): Buffer | null {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
