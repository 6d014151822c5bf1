import { TestBed } from '@angular/core/testing';
import type { HandshakeErrorCode } from '@watch-party/contracts';
import { FakeSocket, handshakeError, snapshotFor } from '../testing/fake-socket';
import {
  REFUSED_RETRY_MAX_MS,
  REFUSED_RETRY_MIN_MS,
  SOCKET_FACTORY,
  STALLED_REQUESTS_BEFORE_RECONNECT,
  SessionSocketService,
  isCredentialRejection,
  refusedRetryDelayMs,
} from './session-socket.service';

describe('SessionSocketService', () => {
  let sockets: FakeSocket[];
  let service: SessionSocketService;
  const last = () => sockets[sockets.length - 1];

  beforeEach(() => {
    sockets = [];
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        {
          provide: SOCKET_FACTORY,
          useValue: (token: string) => {
            const socket = new FakeSocket(token);
            sockets.push(socket);
            return socket.asSocket();
          },
        },
      ],
    });
    service = TestBed.inject(SessionSocketService);
  });

  it('connects with the token and fills state from the snapshot', () => {
    service.connect('tok');
    expect(last().token).toBe('tok');
    expect(last().connectCalls).toBe(1);
    expect(service.status()).toBe('connecting');

    last().fire('connect');
    expect(service.status()).toBe('connected');
    expect(service.hasSnapshot()).toBe(false);

    last().fire('session:snapshot', snapshotFor('s1', 'me', [{ id: 'p2', name: 'Bob' }]));
    expect(service.hasSnapshot()).toBe(true);
    expect(service.you()?.id).toBe('me');
    expect(service.session()?.name).toBe('Movie night');
    expect(service.participants().map((p) => p.name)).toEqual(['Ann', 'Bob']);
  });

  it('replaces participants on participants:update and keeps `you` current', () => {
    service.connect('tok');
    last().fire('connect');
    last().fire('session:snapshot', snapshotFor('s1', 'me'));
    const me = service.participants()[0];
    last().fire('participants:update', [
      { ...me, status: 'buffering' },
      { id: 'p3', name: 'Cy', role: 'viewer', connected: true, status: 'ready', driftMs: null },
    ]);
    expect(service.participants().map((p) => p.id)).toEqual(['me', 'p3']);
    expect(service.you()?.status).toBe('buffering');
  });

  it('shows reconnecting after a drop and clears it on reconnect', () => {
    service.connect('tok');
    last().fire('connect');
    last().fire('disconnect', 'transport close');
    expect(service.status()).toBe('reconnecting');
    last().fire('connect_error', new Error('xhr poll error'));
    expect(service.status()).toBe('reconnecting');
    last().fire('connect');
    expect(service.status()).toBe('connected');
    expect(service.problem()).toBeNull();
  });

  it('stays "connecting" (not reconnecting) while the first connection keeps failing', () => {
    service.connect('tok');
    last().fire('connect_error', new Error('websocket error'));
    expect(service.status()).toBe('connecting');
    expect(service.problem()).toBe('websocket error');
  });

  it.each<HandshakeErrorCode>(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'NOT_A_PARTICIPANT'])(
    'stops for good on a %s refusal and reports its code',
    (code) => {
      jest.useFakeTimers();
      try {
        service.connect('tok');
        const socket = last();
        socket.active = false; // socket.io gives up after a middleware error
        socket.fire('connect_error', handshakeError(code, 'whatever the server says'));
        expect(service.status()).toBe('rejected');
        expect(service.rejection()).toBe(code);
        expect(service.problem()).toBe('whatever the server says');
        expect(socket.disconnected).toBe(true);
        expect(socket.handlers.size).toBe(0);
        jest.advanceTimersByTime(REFUSED_RETRY_MAX_MS * 2);
        expect(sockets).toHaveLength(1);
      } finally {
        jest.useRealTimers();
      }
    },
  );

  it.each<[string, Error]>([
    ['a SERVER_RESTARTING refusal', handshakeError('SERVER_RESTARTING', 'server restarting; reconnect')],
    ['a TOO_MANY_CONNECTIONS refusal', handshakeError('TOO_MANY_CONNECTIONS', 'too many connections')],
    ['a refusal without a code, whatever its message', new Error('invalid token')],
  ])('retries %s on a fresh connection instead of giving up', (_label, error) => {
    jest.useFakeTimers();
    try {
      service.connect('tok');
      last().fire('connect');
      last().fire('disconnect', 'io server disconnect');
      const refused = last();
      refused.active = false;
      refused.fire('connect_error', error);
      expect(service.status()).toBe('reconnecting');
      expect(service.rejection()).toBeNull();
      expect(refused.disconnected).toBe(true);

      jest.advanceTimersByTime(REFUSED_RETRY_MAX_MS);
      expect(sockets).toHaveLength(2);
      expect(last().token).toBe('tok');
      expect(last().connectCalls).toBe(1);
      last().fire('connect');
      expect(service.status()).toBe('connected');
      expect(service.connectionCount()).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('leaves a transport failure (socket still active) to socket.io', () => {
    jest.useFakeTimers();
    try {
      service.connect('tok');
      last().fire('connect_error', new Error('websocket error'));
      jest.advanceTimersByTime(REFUSED_RETRY_MAX_MS * 2);
      expect(sockets).toHaveLength(1);
      expect(last().disconnected).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('handles session:kicked', () => {
    service.connect('tok');
    last().fire('connect');
    last().fire('session:kicked', { reason: 'Removed by the host' });
    expect(service.status()).toBe('kicked');
    expect(service.problem()).toBe('Removed by the host');
    expect(last().disconnected).toBe(true);
  });

  it('replaces the session on session:update (settings or source changed)', () => {
    service.connect('tok');
    const snapshot = snapshotFor('s1', 'me');
    last().fire('session:snapshot', snapshot);
    last().fire('session:update', { ...snapshot.session, controlPolicy: 'everyone', name: 'Renamed' });
    expect(service.session()?.controlPolicy).toBe('everyone');
    expect(service.session()?.name).toBe('Renamed');
  });

  it('applies playback:state only when its rev is newer', () => {
    service.connect('tok');
    last().fire('session:snapshot', snapshotFor('s1', 'me'));
    const base = { playing: true, position: 1, rate: 1, at: 1, by: 'me', action: 'play' as const };
    last().fire('playback:state', { ...base, rev: 3 });
    last().fire('playback:state', { ...base, rev: 2, playing: false });
    expect(service.playback()?.rev).toBe(3);
    expect(service.playback()?.playing).toBe(true);
  });

  it('request() resolves with the ack, or a local failure when offline or unanswered', async () => {
    service.connect('tok');
    await expect(service.request('chat:send', { text: 'hi' })).resolves.toMatchObject({
      ok: false,
      error: { message: 'Not connected to the party' },
    });
    expect(last().emitted).toHaveLength(0); // never queued for a later replay

    last().fire('connect');
    const pending = service.request('chat:send', { text: 'hi' });
    const sent = last().sent('chat:send')[0];
    expect(sent.payload).toEqual({ text: 'hi' });
    sent.ack(null, { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    await expect(pending).resolves.toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });

    const late = service.request('time:ping', { t0: 1 });
    last().sent('time:ping')[0].ack(new Error('operation has timed out'));
    await expect(late).resolves.toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('counts connections and ignores a chat message it already has', () => {
    service.connect('tok');
    expect(service.connectionCount()).toBe(0);
    last().fire('connect');
    last().fire('disconnect', 'transport close');
    last().fire('connect');
    expect(service.connectionCount()).toBe(2);
    const message = { id: 'm1', participantId: 'p', name: 'Bo', text: 'yo', at: 1, kind: 'user' as const };
    last().fire('chat:message', message);
    last().fire('chat:message', message);
    expect(service.chat()).toHaveLength(1);
  });

  it('replaces an activity line the server merged (same id, new text) in place', () => {
    service.connect('tok');
    last().fire('connect');
    const system = { event: 'seek' as const, by: 'p' };
    last().fire('chat:message', { id: 'a1', participantId: 'p', name: 'Bo', text: 'Bo seeked to 0:10', at: 1, kind: 'system' as const, system });
    last().fire('chat:message', { id: 'm2', participantId: 'p', name: 'Bo', text: 'hi', at: 2, kind: 'user' as const });
    last().fire('chat:message', { id: 'a1', participantId: 'p', name: 'Bo', text: 'Bo seeked to 0:30', at: 3, kind: 'system' as const, system });
    expect(service.chat().map((m) => [m.id, m.text])).toEqual([
      ['a1', 'Bo seeked to 0:30'],
      ['m2', 'hi'],
    ]);
  });

  it('replaces a connection that leaves requests unanswered (the watchdog), and only then', async () => {
    service.connect('tok');
    last().fire('connect');
    const timeOut = async (event: 'time:ping' | 'chat:send', payload: never) => {
      const pending = service.request(event, payload);
      last().emitted.at(-1)?.ack(new Error('operation has timed out'));
      await pending;
    };
    const answer = async () => {
      const pending = service.request('time:ping', { t0: 1 });
      last().emitted.at(-1)?.ack(null, { ok: true, t0: 1, serverTime: 2 });
      await pending;
    };

    await timeOut('time:ping', { t0: 1 } as never);
    await answer(); // an answer in between: the connection works, the count starts over
    await timeOut('chat:send', { text: 'a' } as never);
    expect(last().engineClosed).toBe(0);

    await timeOut('time:ping', { t0: 2 } as never);
    expect(STALLED_REQUESTS_BEFORE_RECONNECT).toBe(2);
    expect(last().engineClosed).toBe(1);
    expect(last().disconnected).toBe(false); // socket.io itself reconnects

    // after the reconnect the count starts from zero again
    last().fire('disconnect', 'transport close');
    last().fire('connect');
    await timeOut('time:ping', { t0: 3 } as never);
    expect(last().engineClosed).toBe(1);
  });

  it('does not count requests refused while offline as stalls', async () => {
    service.connect('tok');
    for (let i = 0; i < 3; i++) await service.request('time:ping', { t0: i });
    expect(last().engineClosed).toBe(0);
  });

  it('dropConnection() closes the transport so socket.io reconnects', () => {
    service.connect('tok');
    service.dropConnection();
    expect(last().engineClosed).toBe(1);
    expect(last().disconnected).toBe(false);
  });

  it('disconnect() closes the socket and goes idle', () => {
    service.connect('tok');
    service.disconnect();
    expect(last().disconnected).toBe(true);
    expect(service.status()).toBe('idle');
  });
});

describe('isCredentialRejection', () => {
  it.each<HandshakeErrorCode>(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'NOT_A_PARTICIPANT'])('treats %s as a dead pass', (code) =>
    expect(isCredentialRejection(code)).toBe(true),
  );

  it.each<HandshakeErrorCode | null>(['SERVER_RESTARTING', 'TOO_MANY_CONNECTIONS', 'REFUSED', null])(
    'keeps the pass for %p',
    (code) => expect(isCredentialRejection(code)).toBe(false),
  );
});

describe('refusedRetryDelayMs', () => {
  it('doubles from 250-750 ms and never waits more than the maximum', () => {
    expect(refusedRetryDelayMs(0, 0)).toBe(REFUSED_RETRY_MIN_MS / 2);
    expect(refusedRetryDelayMs(0, 0.999)).toBeLessThanOrEqual(REFUSED_RETRY_MIN_MS * 1.5);
    expect(refusedRetryDelayMs(1, 0.5)).toBe(REFUSED_RETRY_MIN_MS * 2);
    expect(refusedRetryDelayMs(20, 0.999)).toBe(REFUSED_RETRY_MAX_MS);
  });
});
