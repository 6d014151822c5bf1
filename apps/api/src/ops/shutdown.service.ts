import { Injectable, Logger } from '@nestjs/common';

/**
 * Graceful shutdown state. `draining` makes readiness answer 503 so the load balancer stops
 * sending work; the gateway closes sockets' transports so clients reconnect elsewhere.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger('Shutdown');
  private readonly drainHooks: (() => Promise<void>)[] = [];
  draining = false;

  onDrain(hook: () => Promise<void>) {
    this.drainHooks.push(hook);
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.logger.log('draining: readiness is 503, closing client connections');
    await Promise.all(this.drainHooks.map((h) => h().catch((err: unknown) => this.logger.warn((err as Error).message))));
  }
}
