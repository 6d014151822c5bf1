/**
 * Subtitle files as text: SubRip (.srt) converted to WebVTT, WebVTT checked (the server for
 * uploads, the browser for subtitle files a link brings). Pure functions
 * over untrusted bytes: any input either yields a WebVTT document or throws SubtitleFormatError.
 */

/** Why a subtitle file was refused: 415 for bytes that are not text we read, 400 for text without usable cues. */
export class SubtitleFormatError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** The extensions a subtitle upload may carry (none at all: the content decides). */
const SUBTITLE_EXTENSIONS = new Set(['srt', 'vtt']);

/** C0 controls other than tab, line feed, form feed and carriage return: binary, not subtitles. */
// eslint-disable-next-line no-control-regex
const BINARY_CHARS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

/** SubRip times are loose in the wild: 1..3 digit hours, `,` or `.`, 1..3 digit fractions. */
const SRT_TIME = String.raw`(\d{1,3}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})`;
/** `start --> end`, maybe followed by SubRip's ignored `X1:.. Y1:..` coordinates. */
const SRT_TIMING = new RegExp(String.raw`^${SRT_TIME}[ \t]*-->[ \t]*${SRT_TIME}(?:[ \t].*)?$`);

/** WebVTT times as the format defines them: `[hh:]mm:ss.ttt`. */
const VTT_TIME = String.raw`(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}`;
const VTT_TIMING = new RegExp(String.raw`^${VTT_TIME}[ \t]+-->[ \t]+${VTT_TIME}(?:[ \t].*)?$`);
const VTT_SIGNATURE = /^WEBVTT(?:[ \t].*)?$/;
/** Blocks that are not cues: comments, style sheets and regions. */
const VTT_OTHER_BLOCK = /^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$/;

/** Styling SubRip shares with WebVTT; other tags (`<font ...>`) are dropped, their text kept. */
const KEPT_TAGS = new Set(['i', 'b', 'u']);
const TAG = /<(\/?)([A-Za-z][A-Za-z0-9]*)(?:[ \t][^<>]*)?>/g;
/** Override codes some SubRip files carry over from ASS (`{\an8}`). */
const ASS_OVERRIDE = /\{\\[^}]*\}/g;

interface Cue {
  startMs: number;
  endMs: number;
  lines: string[];
}

/**
 * The bytes as UTF-8 text with `\n` line ends, without a byte-order mark. 415 for anything
 * that is not UTF-8 or holds binary control characters.
 */
export function decodeSubtitleText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SubtitleFormatError(415, 'subtitles must be UTF-8 text: this file is not');
  }
  if (BINARY_CHARS.test(text)) throw new SubtitleFormatError(415, 'this file holds binary data, not subtitle text');
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/**
 * An uploaded subtitle file as a WebVTT document. The name's extension must be .srt or .vtt
 * (415 otherwise); a file that starts with `WEBVTT` is checked as WebVTT, anything else is
 * read as SubRip.
 */
export function subtitleFileToWebVtt(bytes: Uint8Array, fileName: string): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase() ?? null;
  if (ext !== null && !SUBTITLE_EXTENSIONS.has(ext)) {
    throw new SubtitleFormatError(415, 'send subtitles as a .srt (SubRip) or .vtt (WebVTT) file');
  }
  const text = decodeSubtitleText(bytes);
  return ext === 'vtt' || text.startsWith('WEBVTT') ? checkWebVtt(text) : srtToWebVtt(text);
}

/**
 * SubRip to WebVTT. Lenient where real files are sloppy (missing blank lines or indexes,
 * `.` for `,`, short fractions, stray ASS codes, `<font>` tags); strict on what a browser
 * would misread (`-->`, `<`, `&` in text are escaped). Cues that end before they start or
 * hold no text are dropped; 400 when none is left.
 */
export function srtToWebVtt(text: string): string {
  const cues: Cue[] = [];
  let current: Cue | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const timing = SRT_TIMING.exec(line);
    if (timing) {
      // A cue that ran into the next one without a blank line: its last line was the index.
      if (current && current.lines.length > 0 && /^\d+$/.test(current.lines[current.lines.length - 1])) current.lines.pop();
      current = { startMs: srtMs(timing, 1), endMs: srtMs(timing, 5), lines: [] };
      cues.push(current);
    } else if (line === '') {
      current = null;
    } else if (current) {
      const converted = cueText(line);
      if (converted !== '') current.lines.push(converted);
    }
    // Lines outside a cue (indexes, junk) are skipped.
  }
  const kept = cues.filter((c) => c.endMs > c.startMs && c.lines.length > 0);
  if (kept.length === 0) {
    throw new SubtitleFormatError(400, 'no subtitle cues found: expected SubRip blocks such as "1", "00:00:01,000 --> 00:00:02,500", then the text');
  }
  const body = kept.map((c) => `${vttTime(c.startMs)} --> ${vttTime(c.endMs)}\n${c.lines.join('\n')}`);
  return `WEBVTT\n\n${body.join('\n\n')}\n`;
}

/**
 * Checks a WebVTT document block by block and returns it with `\n` line ends: the signature
 * line, then comments, style and region blocks, and cues (optional identifier, a well-formed
 * timing line, text without `-->`). 400 naming the first line that is wrong, or when there
 * is no cue at all.
 */
export function checkWebVtt(text: string): string {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (!VTT_SIGNATURE.test(lines[0])) throw new SubtitleFormatError(400, 'a WebVTT file starts with the line WEBVTT');
  let i = 1;
  // The header runs to the first blank line.
  while (i < lines.length && lines[i].trim() !== '') {
    if (lines[i].includes('-->')) throw new SubtitleFormatError(400, `line ${i + 1}: a blank line must separate the WEBVTT header from the first cue`);
    i++;
  }
  let cues = 0;
  while (i < lines.length) {
    if (lines[i].trim() === '') {
      i++;
      continue;
    }
    const start = i;
    while (i < lines.length && lines[i].trim() !== '') i++;
    const block = lines.slice(start, i);
    if (VTT_OTHER_BLOCK.test(block[0]) && !block[0].includes('-->')) continue;
    const timingAt = block[0].includes('-->') ? 0 : 1;
    const timing = block[timingAt];
    if (timing === undefined || !VTT_TIMING.test(timing.trim())) {
      throw new SubtitleFormatError(400, `line ${start + timingAt + 1}: expected a cue timing line such as "00:00:01.000 --> 00:00:02.500"`);
    }
    const stray = block.findIndex((l, n) => n > timingAt && l.includes('-->'));
    if (stray >= 0) throw new SubtitleFormatError(400, `line ${start + stray + 1}: "-->" in cue text (a blank line is missing before this cue?)`);
    cues++;
  }
  if (cues === 0) throw new SubtitleFormatError(400, 'this WebVTT file has no cues');
  const out = lines.join('\n');
  return out.endsWith('\n') ? out : `${out}\n`;
}

function srtMs(m: RegExpExecArray, at: number): number {
  const fraction = m[at + 3].padEnd(3, '0');
  return ((Number(m[at]) * 60 + Number(m[at + 1])) * 60 + Number(m[at + 2])) * 1000 + Number(fraction);
}

function vttTime(ms: number): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}`;
}

/** One SubRip text line as WebVTT cue text: `<i>`, `<b>`, `<u>` kept, other markup removed, the rest escaped. */
function cueText(line: string): string {
  const plain = line.replace(ASS_OVERRIDE, '');
  let out = '';
  let last = 0;
  for (const m of plain.matchAll(TAG)) {
    out += escapeCueText(plain.slice(last, m.index));
    const name = m[2].toLowerCase();
    if (KEPT_TAGS.has(name)) out += `<${m[1]}${name}>`;
    last = m.index + m[0].length;
  }
  out += escapeCueText(plain.slice(last));
  return out.trim();
}

function escapeCueText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
