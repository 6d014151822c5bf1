import { Inject, Injectable, Logger } from '@nestjs/common';
import { LIVE_RTMP_APP } from '@watch-party/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Refusals } from '../ops/refusals';
import { LiveIngest, LiveRefusal } from './live-ingest.service';
import type { Publication } from './live-publication';
import { RtmpServer, type RtmpPublishRequest, type RtmpSink } from './rtmp-server';

/** RTMP ingest (OBS, ffmpeg): our RTMP server on RTMP_PORT, each publish handed to LiveIngest. */
@Injectable()
export class LiveRtmp {
  private readonly logger = new Logger('Live');
  private server: RtmpServer | null = null;

  constructor(
    private readonly ingest: LiveIngest,
    private readonly refusals: Refusals,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Listens on RTMP_PORT (0: disabled); a port in use disables RTMP with a log line, not the server. */
  async start(): Promise<void> {
    if (this.config.rtmpPort <= 0) return;
    const l = this.config.limits;
    const server = new RtmpServer({
      limits: {
        maxConnections: l.rtmpMaxConnections,
        maxConnectionsPerAddress: l.rtmpMaxConnectionsPerAddress,
        publishTimeoutMs: l.rtmpPublishTimeoutMs,
        maxChunkStreams: l.rtmpMaxChunkStreams,
        maxMessageBytes: l.rtmpMaxMessageBytes,
        maxUnfinishedBytes: l.rtmpMaxUnfinishedBytes,
        maxUnfinishedBytesTotal: l.rtmpMaxUnfinishedBytesTotal,
      },
      onPublish: (req) => this.onPublish(req),
      onRefusal: (reason, address, detail) => this.refusals.record(reason, address, detail),
    });
    try {
      await server.listen(this.config.rtmpPort, this.config.host);
      this.server = server;
    } catch (err) {
      this.logger.error(`RTMP ingest disabled: cannot listen on ${this.config.host}:${this.config.rtmpPort} (${(err as Error).message})`);
    }
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  get enabled(): boolean {
    return this.server !== null;
  }

  /** The "Server" to give OBS for a client that reached us as `host`; null while RTMP is off. */
  url(host: string): string | null {
    if (!this.enabled) return null;
    const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `rtmp://${name}:${this.config.rtmpPort}/${LIVE_RTMP_APP}`;
  }

  private async onPublish(req: RtmpPublishRequest): Promise<RtmpSink | { refused: string }> {
    if (req.app !== LIVE_RTMP_APP) return { refused: `unknown application "${req.app}": publish to /${LIVE_RTMP_APP}/<stream key>` };
    let publication: Publication;
    try {
      publication = await this.ingest.openPublisher(req.streamName, 'rtmp', 0, req.remoteAddress);
    } catch (err) {
      if (err instanceof LiveRefusal) return { refused: err.message };
      throw err;
    }
    publication.onKick((reason) => req.kick(reason));
    return {
      write: (flv) => {
        if (!publication.write(flv)) req.kick('publishing stopped: the server cannot keep up with this stream');
      },
      close: () => void publication.close(),
    };
  }
}
