import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  type CreateSessionBody,
  ID_PATTERN,
  type JoinedSession,
  type JoinSessionBody,
  LIMITS,
  type SessionInfo,
} from '@watch-party/contracts';
import { initialPlaybackState } from '@watch-party/sync-core';
import { Clock } from '../common/clock';
import { TooManyRequestsException } from '../common/http-errors';
import { Semaphore } from '../common/semaphore';
import { newId } from '../common/ids';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { RateLimiter } from '../limits/rate-limiter';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MediaCatalog } from '../media/media-catalog';
import { Metrics } from '../ops/metrics';
import { Refusals } from '../ops/refusals';
import { type HashGate, hashPassword, verifyPassword } from './password';
import { type ParticipantRecord, SessionRepository, type SessionRecord } from './session.repository';
import { TokenService } from './token.service';

const MINUTE_MS = 60_000;

@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly limiter: RateLimiter,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly media: MediaCatalog,
    private readonly metrics: Metrics,
    private readonly refusals: Refusals,
  ) {
    const scrypts = new Semaphore(config.limits.scryptConcurrency);
    this.hashGate = (task) => scrypts.run(task);
  }

  /** Password hashes wait their turn: a burst never takes every thread (and 32 MiB each) at once. */
  private readonly hashGate: HashGate;

  async create(body: CreateSessionBody, clientIp: string): Promise<JoinedSession> {
    const created = await this.limiter.hit(`create:${clientIp}`, MINUTE_MS);
    if (created.count > this.config.sessionCreatePerMin) {
      this.metrics.rateLimited.inc({ kind: 'session_create' });
      this.refusals.record('session_create_rate', clientIp, `more than ${this.config.sessionCreatePerMin} parties a minute`);
      throw new TooManyRequestsException('too many parties created from this address; try again in a minute', created.resetInMs);
    }
    if (body.source?.kind === 'media' && !(await this.media.find(body.source.mediaId))) {
      throw new BadRequestException('source.mediaId names no media item');
    }
    const now = this.clock.now();
    const session: SessionRecord = {
      id: newId(),
      name: body.name || `${body.hostName}'s party`,
      passwordHash: body.password ? await hashPassword(body.password, this.hashGate) : null,
      createdAt: new Date(now).toISOString(),
      controlPolicy: body.controlPolicy ?? 'host',
      waitForBuffering: false,
      source: body.source ?? null,
      bufferingHold: null,
      queue: [],
      queuePolicy: 'everyone',
      locked: false,
    };
    const host = this.newParticipant(body.hostName, 'host', now);
    await this.sessions.create(session, host, initialPlaybackState(now), SESSION_TTL_MS);
    return this.joined(session, host);
  }

  async info(sessionId: string): Promise<SessionInfo> {
    return this.toInfo(await this.require(sessionId));
  }

  async join(sessionId: string, body: JoinSessionBody, clientIp: string): Promise<JoinedSession> {
    const session = await this.require(sessionId);
    // Refusals that need no secret come first: a locked or banning party costs no scrypt.
    if (session.locked) throw new ForbiddenException('party is locked');
    if (body.deviceId && (await this.sessions.isDeviceBanned(sessionId, body.deviceId))) {
      throw new ForbiddenException('the host removed you from this party');
    }
    if (session.passwordHash) await this.checkPassword(session, body.password, clientIp);
    const participant = this.newParticipant(body.name, 'viewer', this.clock.now(), body.deviceId ?? null);
    const added = await this.sessions.addParticipant(
      sessionId,
      participant,
      LIMITS.participantsPerSession,
      SESSION_TTL_MS,
    );
    if (added === 'not_found') throw new NotFoundException('party not found');
    if (added === 'full') {
      throw new ConflictException(`this party is full (${LIMITS.participantsPerSession} participants)`);
    }
    return this.joined(session, participant);
  }

  async toInfo(session: SessionRecord): Promise<SessionInfo> {
    return {
      id: session.id,
      name: session.name,
      hasPassword: session.passwordHash !== null,
      createdAt: session.createdAt,
      controlPolicy: session.controlPolicy,
      participantCount: await this.sessions.countParticipants(session.id),
      source: session.source,
      waitForBuffering: session.waitForBuffering,
      queue: session.queue,
      queuePolicy: session.queuePolicy,
      locked: session.locked,
    };
  }

  private async require(sessionId: string): Promise<SessionRecord> {
    const session = ID_PATTERN.test(sessionId) ? await this.sessions.get(sessionId) : null;
    if (!session) throw new NotFoundException('party not found');
    return session;
  }

  /**
   * At most `passwordFailuresPerMin` checks a minute per address and party, then 429 even for
   * the right password. The attempt is counted before scrypt runs, in one atomic step, so a
   * burst of any concurrency gets no more checks than the limit and refused attempts cost no
   * hashing. Right passwords count too: a refund would reopen a slot in the middle of a burst.
   * (Someone who joined keeps their token and never needs the password again.)
   */
  private async checkPassword(session: SessionRecord, password: string | undefined, clientIp: string) {
    // Nothing to check, so nothing to count.
    if (!password) throw new UnauthorizedException('this party needs a password');
    const key = `password:${clientIp}:${session.id}`;
    const limit = this.config.passwordFailuresPerMin;
    const attempt = await this.limiter.hit(key, MINUTE_MS);
    if (attempt.count > limit) {
      this.metrics.rateLimited.inc({ kind: 'password' });
      this.refusals.record('password_attempts', clientIp, `more than ${limit} password attempts a minute on party ${session.id}`);
      throw new TooManyRequestsException('too many password attempts from this address; try again in a minute', attempt.resetInMs);
    }
    if (!(await verifyPassword(password, session.passwordHash ?? '', this.hashGate))) {
      throw new UnauthorizedException('wrong password');
    }
  }

  private newParticipant(name: string, role: ParticipantRecord['role'], now: number, deviceId: string | null = null): ParticipantRecord {
    return { id: newId(), name, role, joinedAt: now, status: 'paused', driftMs: null, ...(deviceId ? { deviceId } : {}) };
  }

  private async joined(session: SessionRecord, participant: ParticipantRecord): Promise<JoinedSession> {
    const token = await this.tokens.sign({
      sessionId: session.id,
      participantId: participant.id,
      name: participant.name,
    });
    return { session: await this.toInfo(session), participantId: participant.id, token };
  }
}
