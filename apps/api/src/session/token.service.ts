import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { HandshakeErrorCode } from '@watch-party/contracts';
import { errors, jwtVerify, SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StoreService } from '../store/store.service';

export interface TokenClaims {
  sessionId: string;
  participantId: string;
  name: string;
}

/** Why a token was refused, in the terms a client acts on (sign in again, or join again). */
export type TokenErrorCode = Extract<HandshakeErrorCode, 'TOKEN_INVALID' | 'TOKEN_EXPIRED'>;

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Longest token accepted for verification (ours are a few hundred bytes). */
const MAX_TOKEN_LENGTH = 2048;

const ALG = 'HS256';
/** Long enough to come back to a party the next day; kicks revoke earlier. */
export const TOKEN_TTL = '7d';
/** Redis key `wp:app-secret`, SQLite meta `app-secret`. */
const SECRET_KEY = 'app-secret';

/** Signs and verifies participant tokens with APP_SECRET (shared by all replicas). */
@Injectable()
export class TokenService implements OnModuleInit {
  private secret: Uint8Array = new Uint8Array();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: StoreService,
  ) {}

  async onModuleInit() {
    this.secret = new TextEncoder().encode(await this.resolveSecret());
  }

  async sign(claims: TokenClaims): Promise<string> {
    return new SignJWT({ sid: claims.sessionId, name: claims.name })
      .setProtectedHeader({ alg: ALG })
      .setSubject(claims.participantId)
      .setIssuedAt()
      .setExpirationTime(TOKEN_TTL)
      .sign(this.secret);
  }

  async verify(token: unknown): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new TokenError('TOKEN_INVALID', 'missing token');
    }
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: [ALG] });
      const { sid, name, sub } = payload;
      if (typeof sid !== 'string' || typeof name !== 'string' || typeof sub !== 'string') {
        throw new TokenError('TOKEN_INVALID', 'invalid token');
      }
      return { sessionId: sid, participantId: sub, name };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenError('TOKEN_EXPIRED', 'token expired');
      if (err instanceof TokenError) throw err;
      throw new TokenError('TOKEN_INVALID', 'invalid token');
    }
  }

  /**
   * APP_SECRET, else one generated once and kept where the parties are (Redis, shared by the
   * replicas, or the SQLite store), so tokens outlive a restart like the parties they open.
   */
  private async resolveSecret(): Promise<string> {
    if (this.config.appSecret) return this.config.appSecret;
    return (await this.store.sharedValue(SECRET_KEY, randomBytes(32).toString('base64url'))).value;
  }
}
