import { HttpException } from '@nestjs/common';
import { LIMITS } from '@watch-party/contracts';
import { initialPlaybackState } from '@watch-party/sync-core';
import { randomBytes, scryptSync } from 'node:crypto';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { TooManyRequestsException } from '../common/http-errors';
import { Metrics } from '../ops/metrics';
import * as password from './password';
import type { SessionService } from './session.service';
import { createSessionKit, type SessionKit } from './testing/session-kit';

const MINUTE_MS = 60_000;
const ADDRESS = '198.51.100.4';
const RIGHT = 'open sesame';

/**
 * A stored hash in the service's format with a tiny scrypt cost (the cost travels in the hash):
 * these tests time the attempt rules, not scrypt.
 */
function cheapHash(secret: string): string {
  const [n, r, p] = [1024, 8, 1];
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, { N: n, r, p });
  return ['scrypt', n, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** The HTTP status a call answers with: 200 when it resolves. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof HttpException) return err.getStatus();
    throw err;
  }
}

describe('SessionService', () => {
  let kit: SessionKit;
  let metrics: Metrics;
  let service: SessionService;

  const setUp = async (env: Record<string, string> = {}) => {
    kit = await createSessionKit(env);
    metrics = new Metrics();
    service = kit.sessionService(metrics);
  };
  afterEach(async () => {
    jest.restoreAllMocks();
    await kit.close();
  });

  describe('create', () => {
    beforeEach(() => setUp());

    it('creates a party whose creator is its host, with a token that names them', async () => {
      const joined = await service.create({ hostName: 'Ann' }, ADDRESS);
      expect(joined.session).toEqual({
        id: joined.session.id,
        name: "Ann's party",
        hasPassword: false,
        createdAt: new Date(kit.clock.now()).toISOString(),
        controlPolicy: 'host',
        participantCount: 1,
        source: null,
        waitForBuffering: false,
        queue: [],
        queuePolicy: 'everyone',
        locked: false,
      });
      expect(await kit.sessions.getParticipant(joined.session.id, joined.participantId)).toMatchObject({ name: 'Ann', role: 'host' });
      expect(await kit.tokens.verify(joined.token)).toEqual({
        sessionId: joined.session.id,
        participantId: joined.participantId,
        name: 'Ann',
      });
    });

    it('keeps a hash of the password, never the password', async () => {
      const joined = await service.create({ hostName: 'Ann', password: 'open sesame' }, ADDRESS);
      expect(joined.session.hasPassword).toBe(true);
      const stored = await kit.sessions.get(joined.session.id);
      expect(stored?.passwordHash).toMatch(/^scrypt\$/);
      expect(stored?.passwordHash).not.toContain('open sesame');
    });

    it('refuses a media source that names no media item (400), accepts one that does', async () => {
      const missing = service.create({ hostName: 'Ann', source: { kind: 'media', mediaId: 'AAAAAAAAAAAAAAAA' } }, ADDRESS);
      expect(await statusOf(missing)).toBe(400);
      kit.catalog.add('AAAAAAAAAAAAAAAA');
      const created = await service.create({ hostName: 'Ann', source: { kind: 'media', mediaId: 'AAAAAAAAAAAAAAAA' } }, ADDRESS);
      expect(created.session.source).toEqual({ kind: 'media', mediaId: 'AAAAAAAAAAAAAAAA' });
    });
  });

  describe('creation rate', () => {
    beforeEach(() => setUp({ SESSION_CREATE_PER_MIN: '3' }));

    it('allows SESSION_CREATE_PER_MIN parties a minute per address, then 429 until the minute is over', async () => {
      for (let i = 0; i < 3; i++) await service.create({ hostName: 'Ann' }, ADDRESS);
      await kit.clock.advance(10_000);
      const refused = service.create({ hostName: 'Ann' }, ADDRESS);
      await expect(refused).rejects.toBeInstanceOf(TooManyRequestsException);
      await expect(refused).rejects.toMatchObject({ retryAfterMs: MINUTE_MS - 10_000 });
      expect(await statusOf(service.create({ hostName: 'Bo' }, '198.51.100.5'))).toBe(200);
      await kit.clock.advance(MINUTE_MS - 10_000);
      expect(await statusOf(service.create({ hostName: 'Ann' }, ADDRESS))).toBe(200);
      expect((await metrics.refusals.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'session_create_rate' }, value: 1 }),
      ]);
    });
  });

  describe('join', () => {
    beforeEach(() => setUp());

    it('joins as a viewer with a token of their own', async () => {
      const host = await service.create({ hostName: 'Ann' }, ADDRESS);
      const bo = await service.join(host.session.id, { name: 'Bo' }, ADDRESS);
      expect(bo.session.participantCount).toBe(2);
      expect(await kit.sessions.getParticipant(host.session.id, bo.participantId)).toMatchObject({ name: 'Bo', role: 'viewer' });
      expect((await kit.tokens.verify(bo.token)).participantId).toBe(bo.participantId);
    });

    it('answers 404 for a party that does not exist, or an id that cannot be one', async () => {
      expect(await statusOf(service.join('AAAAAAAAAAAAAAAA', { name: 'Bo' }, ADDRESS))).toBe(404);
      const get = jest.spyOn(kit.sessions, 'get');
      expect(await statusOf(service.info('../../etc/passwd'))).toBe(404);
      expect(get).not.toHaveBeenCalled();
    });

    it(`takes at most ${LIMITS.participantsPerSession} participants, then answers 409`, async () => {
      const host = await service.create({ hostName: 'Ann' }, ADDRESS);
      for (let i = 1; i < LIMITS.participantsPerSession; i++) await service.join(host.session.id, { name: `G${i}` }, ADDRESS);
      const full = service.join(host.session.id, { name: 'Late' }, ADDRESS);
      expect(await statusOf(full)).toBe(409);
      await expect(service.join(host.session.id, { name: 'Late' }, ADDRESS)).rejects.toThrow(
        `this party is full (${LIMITS.participantsPerSession} participants)`,
      );
      expect(await kit.sessions.countParticipants(host.session.id)).toBe(LIMITS.participantsPerSession);
    });
  });

  describe('passwords', () => {
    let sessionId: string;
    const join = (guess: string | undefined, address = ADDRESS) =>
      statusOf(service.join(sessionId, { name: 'Eve', password: guess }, address));
    beforeEach(async () => {
      await setUp();
      const host = await service.create({ hostName: 'Ann' }, ADDRESS);
      sessionId = host.session.id;
      const [session, ann] = [await kit.sessions.get(sessionId), await kit.sessions.getParticipant(sessionId, host.participantId)];
      if (!session || !ann) throw new Error('no party');
      await kit.sessions.create({ ...session, passwordHash: cheapHash(RIGHT) }, ann, initialPlaybackState(kit.clock.now()), SESSION_TTL_MS);
    });

    it('answers 401 without a password (not counted) and for a wrong one', async () => {
      for (let i = 0; i < 10; i++) expect(await join(undefined)).toBe(401);
      await expect(service.join(sessionId, { name: 'Eve' }, ADDRESS)).rejects.toThrow('this party needs a password');
      await expect(service.join(sessionId, { name: 'Eve', password: 'nope' }, ADDRESS)).rejects.toThrow('wrong password');
      expect(await join(RIGHT)).toBe(200);
    });

    it('counts 5 attempts a minute per address and party before checking: the 6th is 429 even when right, and costs no hash', async () => {
      const checks = jest.spyOn(password, 'verifyPassword');
      expect([await join('a'), await join('b'), await join('c'), await join('d')]).toEqual([401, 401, 401, 401]);
      expect(await join(RIGHT)).toBe(200); // right passwords count too
      expect(await join(RIGHT)).toBe(429);
      expect(checks).toHaveBeenCalledTimes(5);
      expect((await metrics.refusals.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'password_attempts' }, value: 1 }),
      ]);
      // Another address has its own count.
      expect(await join(RIGHT, '198.51.100.99')).toBe(200);
    });

    it('gives a fresh budget once the minute is over', async () => {
      for (let i = 0; i < 5; i++) await join('wrong');
      await kit.clock.advance(MINUTE_MS - 1);
      expect(await join(RIGHT)).toBe(429);
      await kit.clock.advance(1);
      expect(await join(RIGHT)).toBe(200);
    });
  });

  describe('expiry', () => {
    beforeEach(() => setUp());

    it('forgets a party SESSION_TTL_MS after its last write; every write pushes that out', async () => {
      const host = await service.create({ hostName: 'Ann' }, ADDRESS);
      const id = host.session.id;
      await kit.clock.advance(SESSION_TTL_MS - MINUTE_MS);
      await service.join(id, { name: 'Bo' }, ADDRESS);
      await kit.clock.advance(SESSION_TTL_MS - 1);
      expect(await statusOf(service.info(id))).toBe(200);
      await kit.clock.advance(1);
      expect(await statusOf(service.info(id))).toBe(404);
      expect(await kit.sessions.getParticipant(id, host.participantId)).toBeNull();
      expect(await kit.sessions.getState(id)).toBeNull();
    });
  });
});
