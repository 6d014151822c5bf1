import { createSessionBodySchema, describeZodError, sourceSchema } from './rest';
import { chatSendSchema, clientEventSchemas, playbackControlSchema } from './socket';

describe('contract schemas', () => {
  it('accepts only http(s) mp4/webm/m3u8 URLs as sources', () => {
    for (const url of ['https://cdn.test/a.mp4', 'http://x.test/path/show.M3U8', 'https://x.test/v.webm?sig=1']) {
      expect(sourceSchema.safeParse({ kind: 'url', url }).success).toBe(true);
    }
    for (const url of ['ftp://x.test/a.mp4', 'javascript:alert(1)//.mp4', 'https://x.test/a.mkv', 'not a url', 'file:///etc/passwd.mp4']) {
      expect(sourceSchema.safeParse({ kind: 'url', url }).success).toBe(false);
    }
    expect(sourceSchema.safeParse({ kind: 'media', mediaId: 'AbCdEfGhIjKlMnOp' }).success).toBe(true);
    expect(sourceSchema.safeParse({ kind: 'media', mediaId: '../../etc' }).success).toBe(false);
  });

  it('trims names and names the offending field', () => {
    expect(createSessionBodySchema.parse({ hostName: '  Ann  ' }).hostName).toBe('Ann');
    const r = createSessionBodySchema.safeParse({ hostName: 'x'.repeat(33), password: 'abc' });
    expect(r.success).toBe(false);
    if (!r.success) {
      const message = describeZodError(r.error);
      expect(message).toContain('hostName must be at most 32 characters');
      expect(message).toContain('password must be at least 4 characters');
    }
  });

  it('requires a position to seek and a rate within 0.25..4 to change rate', () => {
    expect(playbackControlSchema.safeParse({ action: 'seek' }).success).toBe(false);
    expect(playbackControlSchema.safeParse({ action: 'seek', position: 0 }).success).toBe(true);
    expect(playbackControlSchema.safeParse({ action: 'rate', rate: 4 }).success).toBe(true);
    expect(playbackControlSchema.safeParse({ action: 'rate', rate: 4.01 }).success).toBe(false);
    expect(playbackControlSchema.safeParse({ action: 'play', position: -0.1 }).success).toBe(false);
    expect(playbackControlSchema.safeParse({ action: 'play', position: Number.POSITIVE_INFINITY }).success).toBe(false);
  });

  it('limits chat to 1..500 characters after trimming', () => {
    expect(chatSendSchema.safeParse({ text: ' hi ' }).success).toBe(true);
    expect(chatSendSchema.safeParse({ text: '   ' }).success).toBe(false);
    expect(chatSendSchema.safeParse({ text: 'x'.repeat(501) }).success).toBe(false);
  });

  it('has a schema for every client event of the contract', () => {
    expect(Object.keys(clientEventSchemas).sort()).toEqual(
      ['chat:send', 'participant:kick', 'participant:status', 'playback:control', 'role:set', 'session:settings', 'source:set', 'time:ping'],
    );
  });
});
