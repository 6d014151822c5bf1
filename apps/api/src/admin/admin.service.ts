import { Inject, Injectable, Logger, type OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, matchesHash, sha256 } from '../common/bearer';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StoreService } from '../store/store.service';

/** Where the generated token's hash is kept (Redis `wp:admin-token-sha256`, or SQLite meta). */
const STORED_HASH_KEY = 'admin-token-sha256';

/**
 * The admin credential: ADMIN_TOKEN, or one generated at the first start of a deployment.
 * Only its hash is stored; the token itself is logged once, when it is generated.
 */
@Injectable()
export class AdminService implements OnModuleInit {
  private readonly logger = new Logger('Admin');
  private tokenHash: Buffer = Buffer.alloc(0);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: StoreService,
  ) {}

  async onModuleInit() {
    if (this.config.adminToken) {
      this.tokenHash = sha256(this.config.adminToken);
      return;
    }
    const fresh = randomBytes(32).toString('base64url');
    const { value, created } = await this.store.sharedValue(STORED_HASH_KEY, sha256(fresh).toString('hex'));
    this.tokenHash = Buffer.from(value, 'hex');
    if (created) {
      this.logger.warn(
        `Admin token (shown only this once; keep it somewhere safe): ${fresh} — ` +
          'send it as "Authorization: Bearer <token>" or paste it into "Admin sign-in" on the library page; ' +
          'set ADMIN_TOKEN to choose your own instead.',
      );
    }
  }

  /** Does this request carry the admin token? */
  isAdmin(headers: IncomingHttpHeaders): boolean {
    return matchesHash(bearerToken(headers), this.tokenHash);
  }

  /** 401 unless the request carries the admin token. */
  requireAdmin(headers: IncomingHttpHeaders, what: string): void {
    if (!this.isAdmin(headers)) throw new UnauthorizedException(`${what} needs the admin token (Authorization: Bearer <token>)`);
  }

  /** PUBLISH_POLICY=admin: uploads and new live shows need the admin token. */
  requirePublisher(headers: IncomingHttpHeaders, what: string): void {
    if (this.config.publishPolicy === 'admin') this.requireAdmin(headers, what);
  }
}
