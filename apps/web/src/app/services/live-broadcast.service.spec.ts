import { TestBed } from '@angular/core/testing';
import type { HandshakeErrorCode } from '@watch-party/contracts';
import { FakeSocket, handshakeError } from '../testing/fake-socket';
import { INGEST_SOCKET_FACTORY, LiveBroadcastService, MAX_RETRIES, RETRY_MS } from './live-broadcast.service';

describe('LiveBroadcastService going live', () => {
  let sockets: FakeSocket[];
  let broadcast: LiveBroadcastService;
  const last = () => sockets[sockets.length - 1];
  const stream = {} as MediaStream;

  beforeEach(() => {
    jest.useFakeTimers();
    sockets = [];
    TestBed.configureTestingModule({
      providers: [
        LiveBroadcastService,
        {
          provide: INGEST_SOCKET_FACTORY,
          // Just the part of an IngestSocket the service uses.
          useValue: (streamKey: string) => {
            const socket = new FakeSocket(streamKey);
            sockets.push(socket);
            return socket;
          },
        },
      ],
    });
    broadcast = TestBed.inject(LiveBroadcastService);
  });

  afterEach(() => {
    TestBed.resetTestingModule();
    jest.useRealTimers();
  });

  /** Starts with `key` and lets the server refuse the first handshake with `error`. */
  async function startRefused(error: Error): Promise<void> {
    const started = broadcast.start(stream, 'key-1');
    last().fire('connect_error', error);
    await started;
  }

  it.each<HandshakeErrorCode>(['WRONG_STREAM_KEY', 'SHOW_ENDED', 'ALREADY_PUBLISHING', 'LIVE_UNAVAILABLE'])(
    'stops at once with the server message on %s: retrying cannot help',
    async (code) => {
      await startRefused(handshakeError(code, 'Refused for a reason'));
      expect(broadcast.status()).toBe('stopped');
      expect(broadcast.problem()).toBe('Refused for a reason');
      await jest.advanceTimersByTimeAsync(RETRY_MS * (MAX_RETRIES + 1));
      expect(sockets).toHaveLength(1);
    },
  );

  it.each<[string, Error]>([
    ['a SERVER_RESTARTING refusal', handshakeError('SERVER_RESTARTING', 'restarting')],
    ['a TOO_MANY_CONNECTIONS refusal', handshakeError('TOO_MANY_CONNECTIONS', 'too many')],
    ['a failure without a code', new Error('websocket error')],
  ])('retries %s every RETRY_MS, then gives up after MAX_RETRIES', async (_label, error) => {
    await startRefused(error);
    expect(broadcast.status()).toBe('connecting');
    expect(broadcast.problem()).toBeNull();
    for (let retry = 1; retry <= MAX_RETRIES; retry++) {
      await jest.advanceTimersByTimeAsync(RETRY_MS);
      expect(sockets).toHaveLength(1 + retry);
      expect(last().token).toBe('key-1');
      last().fire('connect_error', error);
    }
    expect(broadcast.status()).toBe('stopped');
    expect(broadcast.problem()).toBe(error.message);
    await jest.advanceTimersByTimeAsync(RETRY_MS * 2);
    expect(sockets).toHaveLength(1 + MAX_RETRIES);
  });

  it('stop() during a retry wait cancels the retry', async () => {
    await startRefused(handshakeError('SERVER_RESTARTING'));
    await broadcast.stop();
    expect(broadcast.status()).toBe('stopped');
    await jest.advanceTimersByTimeAsync(RETRY_MS * 2);
    expect(sockets).toHaveLength(1);
  });
});
