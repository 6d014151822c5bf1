import fc from 'fast-check';
import { checkWebVtt, decodeSubtitleText, SubtitleFormatError, srtToWebVtt, subtitleFileToWebVtt } from './subtitle-text';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The status a refusal carries, or 'ok'. */
function outcome(run: () => string): 400 | 415 | 'ok' {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof SubtitleFormatError) return err.status;
    throw err;
  }
}

/** Cue times and texts read back from a WebVTT document this module wrote. */
function cuesOf(vtt: string): { start: string; end: string; text: string }[] {
  return vtt
    .split('\n\n')
    .slice(1)
    .filter((b) => b.trim() !== '')
    .map((b) => {
      const [timing, ...text] = b.trim().split('\n');
      const [start, end] = timing.split(' --> ');
      return { start, end, text: text.join('\n') };
    });
}

describe('SubRip to WebVTT', () => {
  it('converts numbered SubRip cues to WebVTT: comma to dot, indexes dropped, line breaks kept', () => {
    const srt = '1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\nthere\r\n\r\n2\r\n01:02:03,040 --> 01:02:04,000\r\nBye\r\n';
    expect(srtToWebVtt(decodeSubtitleText(utf8(srt)))).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\nthere\n\n01:02:03.040 --> 01:02:04.000\nBye\n',
    );
  });

  it('reads sloppy SubRip: a byte-order mark, no blank line between cues, short fractions, a dot, coordinates', () => {
    const srt = '\uFEFF1\n0:00:01,5 --> 0:00:02.25 X1:10 X2:20\nOne\n2\n00:00:03,000-->00:00:04,000\nTwo\n';
    expect(cuesOf(subtitleFileToWebVtt(utf8(srt), 'film.srt'))).toEqual([
      { start: '00:00:01.500', end: '00:00:02.250', text: 'One' },
      { start: '00:00:03.000', end: '00:00:04.000', text: 'Two' },
    ]);
  });

  it('keeps <i>, <b> and <u>, drops <font> and ASS codes, and escapes what WebVTT would read as markup or a timing', () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<I>Fish</I> & <font color="red">chips</font>\na --> b < c\n';
    expect(cuesOf(srtToWebVtt(srt))[0].text).toBe('<i>Fish</i> &amp; chips\na --&gt; b &lt; c');
  });

  it('drops cues that end before they start or have no text, and refuses a file left without any (400)', () => {
    const srt = '1\n00:00:05,000 --> 00:00:04,000\nBackwards\n\n2\n00:00:06,000 --> 00:00:07,000\n<font></font>\n\n3\n00:00:08,000 --> 00:00:09,000\nKept\n';
    expect(cuesOf(srtToWebVtt(srt)).map((c) => c.text)).toEqual(['Kept']);
    expect(outcome(() => srtToWebVtt('1\n00:00:05,000 --> 00:00:04,000\nBackwards\n'))).toBe(400);
    expect(outcome(() => srtToWebVtt('just some words\nno timing here\n'))).toBe(400);
    expect(outcome(() => srtToWebVtt(''))).toBe(400);
  });
});

describe('WebVTT checks', () => {
  it('accepts WebVTT with a header, comments, styles, cue identifiers and cue settings, returning it with \\n line ends', () => {
    const vtt = 'WEBVTT - a film\r\nKind: captions\r\n\r\nNOTE made by hand\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n\r\nintro\r\n00:01.000 --> 00:02.000 align:start line:0\r\n<v Anna>Hi\r\n\r\n01:00:00.000 --> 01:00:01.000\r\nBye';
    expect(checkWebVtt(vtt)).toBe(vtt.replace(/\r\n/g, '\n') + '\n');
  });

  it.each([
    ['no signature', '1\n00:00:01.000 --> 00:00:02.000\nHi\n', 'starts with the line WEBVTT'],
    ['a comma in a time', 'WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nHi\n', 'line 3'],
    ['a block that is not a cue', 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\njust text\nmore\n', 'line 7'],
    ['a cue run into the next', 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n00:00:03.000 --> 00:00:04.000\n', 'line 5'],
    ['no cue at all', 'WEBVTT\n\nNOTE nothing\n', 'no cues'],
  ])('refuses WebVTT with %s (400, naming the line)', (_what, vtt, message) => {
    expect(() => checkWebVtt(vtt)).toThrow(message);
    expect(outcome(() => checkWebVtt(vtt))).toBe(400);
  });
});

describe('subtitle files', () => {
  it('refuses bytes that are not UTF-8, or hold binary controls, with 415', () => {
    expect(outcome(() => subtitleFileToWebVtt(Buffer.from([0x31, 0x0a, 0xff, 0xfe, 0x00]), 'a.srt'))).toBe(415);
    expect(outcome(() => subtitleFileToWebVtt(utf8('WEBVTT\n\n00:01.000 --> 00:02.000\nA\u0000B\n'), 'a.vtt'))).toBe(415);
    expect(outcome(() => subtitleFileToWebVtt(Buffer.from('WEBVTT\n\n00:01.000 --> 00:02.000\nÉté\n', 'latin1'), 'a.vtt'))).toBe(415);
  });

  it('takes .srt and .vtt (or no extension: the content decides) and refuses other extensions with 415', () => {
    const vtt = 'WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n';
    const srt = '1\n00:00:01,000 --> 00:00:02,000\nHi\n';
    expect(subtitleFileToWebVtt(utf8(vtt), 'A.VTT')).toBe(vtt);
    expect(subtitleFileToWebVtt(utf8(vtt), 'subtitles')).toBe(vtt);
    expect(subtitleFileToWebVtt(utf8(srt), 'subtitles')).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n');
    expect(outcome(() => subtitleFileToWebVtt(utf8(srt), 'a.vtt'))).toBe(400);
    expect(outcome(() => subtitleFileToWebVtt(utf8(srt), 'a.ass'))).toBe(415);
    expect(outcome(() => subtitleFileToWebVtt(utf8(srt), 'movie.mp4'))).toBe(415);
  });
});

describe('subtitle files: properties (fast-check)', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.array(fc.constantFrom('1', '\n', '\r\n', '00:00:01,000', ' --> ', '-->', '00:00:02.500', 'WEBVTT', 'NOTE', '<i>', '</b>', '&', '{\\an8}', ' ', 'x', '\uFEFF', '99:59:59,999'), {
      maxLength: 60,
    }).map((parts) => parts.join('')),
  );

  it('never crashes on any bytes or name: a WebVTT document that passes its own check, or a 400/415 refusal', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), text.map(utf8)), fc.constantFrom('a.srt', 'a.vtt', 'a', 'a.txt'), (bytes, name) => {
        let vtt: string;
        try {
          vtt = subtitleFileToWebVtt(bytes, name);
        } catch (err) {
          expect(err).toBeInstanceOf(SubtitleFormatError);
          expect([400, 415]).toContain((err as SubtitleFormatError).status);
          return;
        }
        expect(vtt.split('\n')[0]).toMatch(/^WEBVTT/);
        expect(checkWebVtt(vtt)).toBe(vtt);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every cue of a well-formed SubRip file: times to the millisecond, text escaped, in order', () => {
    const cue = fc
      .record({
        start: fc.integer({ min: 0, max: 100 * 3_600_000 - 2 }),
        length: fc.integer({ min: 1, max: 3_600_000 }),
        lines: fc.array(fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '' && !/[<>&{}\r\n]/.test(s)), { minLength: 1, maxLength: 3 }),
      })
      .filter((c) => c.start + c.length < 100 * 3_600_000);
    const srtTime = (ms: number) =>
      `${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')},${String(ms % 1000).padStart(3, '0')}`;
    fc.assert(
      fc.property(fc.array(cue, { minLength: 1, maxLength: 20 }), (cues) => {
        const srt = cues.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.start + c.length)}\n${c.lines.join('\n')}`).join('\n\n');
        const vtt = srtToWebVtt(srt);
        expect(checkWebVtt(vtt)).toBe(vtt);
        const got = cuesOf(vtt);
        expect(got).toEqual(
          cues.map((c) => ({
            start: srtTime(c.start).replace(',', '.'),
            end: srtTime(c.start + c.length).replace(',', '.'),
            text: c.lines.map((l) => l.trim()).join('\n'),
          })),
        );
      }),
      { numRuns: 500 },
    );
  });
});
