import { handshakeErrorCode, type HandshakeErrorCode } from '@watch-party/contracts';
import { ingestHandshakeError } from './live-ingest.gateway';
import { LiveRefusal, type LiveRefusalCode } from './live-ingest.service';

describe('the /live-ingest handshake refusal', () => {
  const refusals: [LiveRefusalCode, string][] = [
    ['WRONG_STREAM_KEY', 'wrong stream key'],
    ['SHOW_ENDED', 'this show has ended; create a new show to go live again'],
    ['ALREADY_PUBLISHING', 'this stream key is already publishing; stop the other stream first'],
    ['LIVE_UNAVAILABLE', 'live streaming is unavailable: ffmpeg is not installed on the server'],
    ['SERVER_RESTARTING', 'server restarting; publish again in a moment'],
  ];

  it.each(refusals)('carries %s in the error data, with the English reason as its message', (code, message) => {
    const err = ingestHandshakeError(new LiveRefusal(code, message));
    expect(err.message).toBe(message);
    expect(err.data).toEqual({ code });
    expect(handshakeErrorCode(err)).toBe<HandshakeErrorCode>(code);
  });

  it('answers REFUSED, without details, when opening the publisher failed for another reason', () => {
    const err = ingestHandshakeError(new Error('ENOSPC: no space left on device, mkdir /data/media/live/x'));
    expect(err.message).toBe('refused');
    expect(handshakeErrorCode(err)).toBe<HandshakeErrorCode>('REFUSED');
  });
});
