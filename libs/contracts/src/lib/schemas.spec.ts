import { createSessionBodySchema, describeZodError, MAX_URL_LENGTH, sourceSchema, URL_SUBTITLE_TRACKS_MAX } from './rest';
import {
  chatSendSchema,
  clientEventSchemas,
  participantStatusPayloadSchema,
  playbackControlSchema,
  queueAddSchema,
  queueMoveSchema,
  reactionSendSchema,
} from './socket';

describe('contract schemas', () => {
  it('accepts any http(s) URL up to 2048 characters as a source', () => {
    for (const url of ['https://cdn.test/a.mp4', 'http://x.test/path/show.M3U8', 'https://x.test/watch?v=1', 'https://x.test/a.mkv']) {
      expect(sourceSchema.safeParse({ kind: 'url', url }).success).toBe(true);
    }
    const long = `https://x.test/${'a'.repeat(MAX_URL_LENGTH)}`;
    for (const url of ['ftp://x.test/a.mp4', 'javascript:alert(1)//.mp4', 'not a url', 'file:///etc/passwd.mp4', long]) {
      expect(sourceSchema.safeParse({ kind: 'url', url }).success).toBe(false);
    }
    expect(sourceSchema.safeParse({ kind: 'media', mediaId: 'AbCdEfGhIjKlMnOp' }).success).toBe(true);
    expect(sourceSchema.safeParse({ kind: 'media', mediaId: '../../etc' }).success).toBe(false);
  });

  it('lets a URL source carry up to 8 subtitle tracks with http(s) URLs and 1..40 character labels', () => {
    const track = { url: 'https://x.test/en.vtt', label: 'English', lang: 'en' };
    const source = (subtitles: unknown[]) => ({ kind: 'url', url: 'https://x.test/a.mp4', subtitles });
    expect(sourceSchema.safeParse(source([track, { url: 'http://x.test/fr.vtt', label: 'Français' }])).success).toBe(true);
    expect(sourceSchema.safeParse(source(Array(URL_SUBTITLE_TRACKS_MAX + 1).fill(track))).success).toBe(false);
    expect(sourceSchema.safeParse(source([{ ...track, url: 'javascript:alert(1)' }])).success).toBe(false);
    expect(sourceSchema.safeParse(source([{ ...track, label: ' ' }])).success).toBe(false);
    expect(sourceSchema.safeParse(source([{ ...track, label: 'x'.repeat(41) }])).success).toBe(false);
  });

  it('accepts exactly the eight reaction emojis', () => {
    for (const emoji of ['👍', '😂', '😮', '😢', '❤️', '🔥', '👏', '🎉']) expect(reactionSendSchema.safeParse({ emoji }).success).toBe(true);
    for (const emoji of ['❤', '💩', '', '👍👍', 'thumbs up']) expect(reactionSendSchema.safeParse({ emoji }).success).toBe(false);
  });

  it('limits queue titles to 120 characters and status errors to 200', () => {
    const source = { kind: 'url', url: 'https://x.test/a.mp4' };
    expect(queueAddSchema.safeParse({ source, title: 'x'.repeat(120) }).success).toBe(true);
    expect(queueAddSchema.safeParse({ source, title: 'x'.repeat(121) }).success).toBe(false);
    expect(queueMoveSchema.safeParse({ itemId: 'AbCdEfGhIjKlMnOp', index: -1 }).success).toBe(false);
    const status = { status: 'error', position: 0 };
    expect(participantStatusPayloadSchema.safeParse({ ...status, error: 'x'.repeat(200) }).success).toBe(true);
    expect(participantStatusPayloadSchema.safeParse({ ...status, error: 'x'.repeat(201) }).success).toBe(false);
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
      [
        'chat:send',
        'participant:kick',
        'participant:status',
        'playback:control',
        'queue:add',
        'queue:move',
        'queue:next',
        'queue:remove',
        'reaction:send',
        'role:set',
        'session:settings',
        'source:set',
        'time:ping',
      ],
    );
  });
});
