import { type Ack, LIMITS } from '@watch-party/contracts';
import { SESSION_TTL_MS } from '../common/lifetimes';
import { MemoryRateLimiter, type WindowCount } from '../limits/rate-limiter';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { EventRouter, LOCAL_EVENTS_PER_SEC } from './event-router';
import { type FakeSocket, Replica } from './testing/replica';

const codes = (acks: Ack<object>[]) => acks.map((a) => (a.ok ? 'ok' : a.error.code));
const times = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

describe('EventRouter', () => {
  let kit: SessionKit;
  let r: Replica;
  let party: Party;
  let host: FakeSocket;
  let bo: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    r = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    host = await r.connect(party.sessionId, party.host.participantId, 'Host');
    bo = await r.connect(party.sessionId, party.guests[0].participantId, 'Bo');
    r.broadcaster.clear(); // the joins' activity lines
  });
  afterEach(async () => {
    r.stop();
    await kit.close();
  });

  describe('rate limits', () => {
    it(`allows ${LIMITS.controlEventsPerSec} control events a second per participant, across all their sockets`, async () => {
      await kit.sessions.updateParticipant(party.sessionId, bo.data.participantId, { role: 'controller' }, SESSION_TTL_MS);
      const tab2 = await r.connect(party.sessionId, party.host.participantId, 'Host');
      const acks = await times(LIMITS.controlEventsPerSec + 1, (i) =>
        r.send(i % 2 ? host : tab2, 'playback:control', { action: 'seek', position: i }),
      );
      expect(codes(acks).filter((c) => c === 'ok')).toHaveLength(LIMITS.controlEventsPerSec);
      expect(codes(acks).filter((c) => c === 'RATE_LIMITED')).toHaveLength(1);
      // role:set, kicks and settings share the bucket.
      expect(await r.send(host, 'session:settings', { waitForBuffering: true })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      // Another participant has a bucket of their own.
      expect(await r.send(bo, 'playback:control', { action: 'pause' })).toMatchObject({ ok: true });
    });

    it('starts a fresh window after a second', async () => {
      await times(LIMITS.controlEventsPerSec, (i) => r.send(host, 'playback:control', { action: 'seek', position: i }));
      expect(await r.send(host, 'playback:control', { action: 'play' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      await kit.clock.advance(999);
      expect(await r.send(host, 'playback:control', { action: 'play' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      await kit.clock.advance(1);
      expect(await r.send(host, 'playback:control', { action: 'play' })).toMatchObject({ ok: true });
    });

    it(`allows ${LIMITS.chatMessagesPerSec} chat messages a second per participant, apart from control events`, async () => {
      const acks = await times(LIMITS.chatMessagesPerSec + 1, (i) => r.send(bo, 'chat:send', { text: `hi ${i}` }));
      expect(codes(acks).filter((c) => c === 'ok')).toHaveLength(LIMITS.chatMessagesPerSec);
      expect(codes(acks).filter((c) => c === 'RATE_LIMITED')).toHaveLength(1);
      expect(await r.send(host, 'chat:send', { text: 'me too' })).toMatchObject({ ok: true });
      await kit.clock.advance(1000);
      expect(await r.send(bo, 'chat:send', { text: 'again' })).toMatchObject({ ok: true });
    });

    it(`allows ${LOCAL_EVENTS_PER_SEC} clock pings and status reports a second per socket, without the shared limiter`, async () => {
      const hits = jest.spyOn(kit.limiter, 'hit');
      const acks = await times(LOCAL_EVENTS_PER_SEC + 1, (i) =>
        r.send(bo, i % 2 ? 'time:ping' : 'participant:status', i % 2 ? { t0: i } : { status: 'playing', position: i }),
      );
      expect(codes(acks).filter((c) => c === 'RATE_LIMITED')).toHaveLength(1);
      expect(hits).not.toHaveBeenCalled();
      // Another socket of the same participant has its own window.
      const tab2 = await r.connect(party.sessionId, party.guests[0].participantId, 'Bo');
      expect(await r.send(tab2, 'time:ping', { t0: 1 })).toMatchObject({ ok: true });
      await kit.clock.advance(1000);
      expect(await r.send(bo, 'time:ping', { t0: 2 })).toMatchObject({ ok: true });
    });

    it('counts refusals in wp_rate_limited_total by bucket', async () => {
      await times(LIMITS.chatMessagesPerSec + 2, (i) => r.send(bo, 'chat:send', { text: `x${i}` }));
      const metric = await r.metrics.rateLimited.get();
      expect(metric.values).toEqual([expect.objectContaining({ labels: { kind: 'chat' }, value: 2 })]);
    });
  });

  describe('bad input', () => {
    it('refuses an invalid payload with BAD_REQUEST naming the field, before it counts against any limit', async () => {
      const acks = await times(LIMITS.controlEventsPerSec + 5, () => r.send(host, 'playback:control', { action: 'seek' }));
      expect(acks[0]).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('position') } });
      expect(new Set(codes(acks))).toEqual(new Set(['BAD_REQUEST']));
      expect(await r.send(host, 'playback:control', { action: 'play' })).toMatchObject({ ok: true });
    });

    it.each([
      ['an unknown field', 'chat:send', { text: 'hi', extra: 1 }],
      ['a wrong type', 'time:ping', { t0: 'now' }],
      ['no payload', 'role:set', undefined],
      ['an array', 'participant:kick', ['x']],
      ['a huge position', 'playback:control', { action: 'seek', position: 1e12 }],
      ['an empty chat message', 'chat:send', { text: '   ' }],
    ])('refuses %s with BAD_REQUEST', async (_label, event, payload) => {
      expect(await r.send(host, event, payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    });

    it('answers an unknown event with BAD_REQUEST naming it (cut to 64 characters)', async () => {
      expect(await r.send(host, 'admin:nuke', {})).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown event "admin:nuke"' } });
      const long = await r.send(host, 'x'.repeat(500), {});
      expect(long.ok ? '' : long.error.message).toBe(`unknown event "${'x'.repeat(64)}"`);
    });

    it('answers an event whose only argument is the ack with BAD_REQUEST', async () => {
      const acks: Ack<object>[] = [];
      await r.router.receive(host, 'chat:send', (a: Ack<object>) => acks.push(a));
      expect(acks).toEqual([{ ok: false, error: { code: 'BAD_REQUEST', message: 'missing payload' } }]);
    });

    it('handles an event sent without an ack, and drops an unknown one without an ack', async () => {
      await r.router.receive(host, 'chat:send', { text: 'fire and forget' });
      await r.router.receive(host, 'no-such-event');
      expect(r.broadcaster.sent('chat:message')).toEqual([expect.objectContaining({ text: 'fire and forget' })]);
    });

    it('answers INTERNAL, without details, when a handler fails unexpectedly', async () => {
      jest.spyOn(kit.sessions, 'appendChat').mockRejectedValueOnce(new Error('disk on fire'));
      expect(await r.send(host, 'chat:send', { text: 'hi' })).toEqual({
        ok: false,
        error: { code: 'INTERNAL', message: 'something went wrong on the server; try again' },
      });
    });
  });

  describe('answers', () => {
    it('time:ping answers the server time of the clock', async () => {
      expect(await r.send(bo, 'time:ping', { t0: 42 })).toEqual({ ok: true, t0: 42, serverTime: kit.clock.now() });
    });

    it('chat:send stores the trimmed message, then tells the session', async () => {
      const ack = await r.send(bo, 'chat:send', { text: '  hello there ' });
      expect(ack).toMatchObject({ ok: true, message: { text: 'hello there', name: 'Bo', at: kit.clock.now() } });
      expect(r.broadcaster.sent('chat:message', { session: party.sessionId })).toEqual([ack.ok && 'message' in ack ? ack.message : null]);
      const history = await kit.sessions.recentChat(party.sessionId, LIMITS.chatHistory);
      expect(history.filter((m) => m.kind === 'user')).toHaveLength(1);
    });
  });

  describe('idle (shutdown)', () => {
    /** A limiter whose answers wait until released: an event stays in flight meanwhile. */
    class HeldLimiter extends MemoryRateLimiter {
      private readonly waiting: (() => void)[] = [];
      override async hit(key: string, windowMs: number): Promise<WindowCount> {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        return super.hit(key, windowMs);
      }
      release() {
        this.waiting.splice(0).forEach((go) => go());
      }
    }

    it('resolves at once with nothing in flight, when the events in flight are answered, or after maxMs', async () => {
      await expect(r.router.idle(3000)).resolves.toBeUndefined();
      const held = new HeldLimiter(kit.clock);
      const router = new EventRouter(r.playback, r.chat, r.group, r.queue, held, kit.clock, r.metrics);
      const acks: Ack<object>[] = [];
      const inFlight = router.receive(host, 'chat:send', { text: 'slow' }, (a: Ack<object>) => acks.push(a));

      let gaveUp = false;
      void router.idle(3000).then(() => (gaveUp = true));
      await kit.clock.advance(2999);
      expect(gaveUp).toBe(false);
      await kit.clock.advance(1);
      expect(gaveUp).toBe(true);

      let drained = false;
      void router.idle(3000).then(() => (drained = true));
      held.release();
      await inFlight;
      await kit.clock.flush();
      expect(drained).toBe(true);
      expect(codes(acks)).toEqual(['ok']);
    });
  });
});
