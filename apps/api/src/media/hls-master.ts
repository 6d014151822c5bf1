/**
 * HLS playlist text, pure: reading what ffmpeg writes (master and media playlists), measuring a
 * variant's bit rates from its segments, and writing the master playlist we serve (RFC 8216:
 * BANDWIDTH is the peak segment bit rate, AVERAGE-BANDWIDTH the average over the whole
 * variant). No function here throws, whatever text it is given.
 */

/** One `#EXT-X-STREAM-INF` entry of a master playlist: its attributes (values as written) and URI. */
export interface StreamInf {
  uri: string;
  attributes: Map<string, string>;
}

/** What the master playlist says about one variant. */
export interface MasterVariant {
  /** relative URI of the variant's media playlist, e.g. `v0/index.m3u8` */
  uri: string;
  /** peak segment bit rate, bits/s */
  bandwidth: number;
  /** average bit rate over the variant, bits/s */
  averageBandwidth: number;
  /** `WIDTHxHEIGHT` */
  resolution?: string;
  /** RFC 6381 codec list, e.g. `avc1.64001f,mp4a.40.2` */
  codecs?: string;
  /** frames per second (written with 3 decimals) */
  frameRate?: number;
  /** GROUP-ID of the audio rendition this variant plays with (written only when that group is rendered) */
  audio?: string;
}

/** The audio rendition (`#EXT-X-MEDIA:TYPE=AUDIO`) every variant refers to: encoded once. */
export interface AudioRendition {
  /** relative URI of its media playlist */
  uri: string;
  groupId: string;
  name: string;
  /** number of channels */
  channels?: number;
}

/** One media segment of a media playlist. */
export interface MediaSegment {
  uri: string;
  durationSec: number;
}

const ATTRIBUTE = /^\s*([A-Z0-9-]+)=("[^"\r\n]*"|[^",\s]*)\s*(?:,|$)/;
/** Frame rates above this are junk, not written. */
const MAX_FRAME_RATE = 10_000;
const RESOLUTION = /^\d{1,5}x\d{1,5}$/;
/** A quoted-string attribute value may hold anything but a quote and a line break. */
const QUOTABLE = /^[^"\r\n]*$/;
/** A URI line we write back: relative, one line, no tag. */
const SAFE_URI = /^[A-Za-z0-9._~/-]+$/;

/** `NAME=value,NAME="quoted, value"`: the attributes in order; stops at the first malformed one. */
export function parseAttributeList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let rest = typeof text === 'string' ? text : '';
  while (rest.trim() !== '') {
    const m = ATTRIBUTE.exec(rest);
    if (!m || m[0].length === 0) break;
    out.set(m[1], m[2]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** The `#EXT-X-STREAM-INF` entries of a master playlist, each with the URI line that follows it. */
export function parseMasterPlaylist(text: string): StreamInf[] {
  const lines = splitLines(text);
  const out: StreamInf[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const attributes = parseAttributeList(line.slice('#EXT-X-STREAM-INF:'.length));
    // The URI is the next line that is neither blank nor a tag/comment.
    let j = i + 1;
    while (j < lines.length && (lines[j] === '' || (lines[j].startsWith('#') && !lines[j].startsWith('#EXT-X-STREAM-INF:')))) j++;
    if (j < lines.length && !lines[j].startsWith('#')) {
      out.push({ uri: lines[j], attributes });
      i = j;
    }
  }
  return out;
}

/** The segments of a media playlist (`#EXTINF:<duration>,` then the URI), and its target duration. */
export function parseMediaPlaylist(text: string): { targetDurationSec: number | null; segments: MediaSegment[] } {
  let targetDurationSec: number | null = null;
  const segments: MediaSegment[] = [];
  let pending: number | null = null;
  for (const line of splitLines(text)) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      const n = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
      if (Number.isFinite(n) && n > 0) targetDurationSec = n;
    } else if (line.startsWith('#EXTINF:')) {
      const n = Number(line.slice('#EXTINF:'.length).split(',')[0]);
      pending = Number.isFinite(n) && n >= 0 ? n : null;
    } else if (line !== '' && !line.startsWith('#')) {
      if (pending !== null) segments.push({ uri: line, durationSec: pending });
      pending = null;
    }
  }
  return { targetDurationSec, segments };
}

/**
 * Peak and average bit rates (bits/s, rounded up) of segments of known size. The peak is
 * RFC 8216's: the highest rate of any run of consecutive segments lasting 0.5 to 1.5 target
 * durations (so with full-length segments, the highest segment rate; a short last segment is
 * judged with its neighbour instead of alone). Null when there is nothing to measure.
 */
export function measureBandwidth(
  segments: readonly { durationSec: number; bytes: number }[],
  targetDurationSec: number,
): { peak: number; average: number } | null {
  const usable = segments.filter((s) => Number.isFinite(s.durationSec) && s.durationSec > 0 && Number.isFinite(s.bytes) && s.bytes >= 0);
  const totalSec = usable.reduce((t, s) => t + s.durationSec, 0);
  const totalBytes = usable.reduce((t, s) => t + s.bytes, 0);
  if (usable.length === 0 || !(totalSec > 0)) return null;
  const average = Math.ceil((totalBytes * 8) / totalSec);
  const target = Number.isFinite(targetDurationSec) && targetDurationSec > 0 ? targetDurationSec : totalSec;
  let peak = 0;
  for (let i = 0; i < usable.length; i++) {
    let sec = 0;
    let bytes = 0;
    for (let j = i; j < usable.length; j++) {
      sec += usable[j].durationSec;
      bytes += usable[j].bytes;
      if (sec > target * 1.5) break;
      if (sec >= target * 0.5) peak = Math.max(peak, (bytes * 8) / sec);
    }
  }
  // No run long enough (a clip shorter than half a target duration): its whole rate.
  if (peak === 0) peak = average;
  const ceiled = Math.ceil(peak);
  const safe = (n: number) => (Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER);
  return { peak: safe(Math.max(ceiled, average)), average: safe(average) };
}

/**
 * A variant's rates with its audio rendition's added (RFC 8216: BANDWIDTH and AVERAGE-BANDWIDTH
 * count every rendition played together). The sum of the two peaks bounds the peak of the sum.
 */
export function withAudioRates(
  video: { peak: number; average: number },
  audio: { peak: number; average: number } | null,
): { peak: number; average: number } {
  if (!audio) return video;
  const safe = (n: number) => (Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER);
  return { peak: safe(video.peak + audio.peak), average: safe(video.average + audio.average) };
}

/**
 * A variant's CODECS with the audio rendition's codec appended when it is not named yet
 * (ffmpeg names it only for variants encoded beside the audio). Undefined without video codecs.
 */
export function withAudioCodec(videoCodecs: string | undefined, audioCodecs: string | undefined): string | undefined {
  if (!videoCodecs) return undefined;
  if (!audioCodecs) return videoCodecs;
  const have = videoCodecs.split(',').map((c) => c.trim());
  const missing = audioCodecs.split(',').map((c) => c.trim()).filter((c) => c !== '' && !have.includes(c));
  return [...have, ...missing].join(',');
}

/**
 * The master playlist text for `variants`, in order, with the `audio` rendition when given.
 * Entries without a usable bandwidth or URI are left out; an audio rendition whose URI, group or
 * name cannot be written is left out, and so are the variants' references to it.
 */
export function renderMasterPlaylist(variants: readonly MasterVariant[], audio?: AudioRendition | null): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const group = audio && typeof audio.uri === 'string' && SAFE_URI.test(audio.uri) && isQuotable(audio.groupId) && isQuotable(audio.name) ? audio.groupId : null;
  if (audio && group !== null) {
    const channels = typeof audio.channels === 'number' && Number.isSafeInteger(audio.channels) && audio.channels > 0 ? `,CHANNELS="${audio.channels}"` : '';
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${group}",NAME="${audio.name}",DEFAULT=YES,AUTOSELECT=YES${channels},URI="${audio.uri}"`);
  }
  for (const v of variants) {
    const bandwidth = bitRate(v.bandwidth);
    if (bandwidth === null || typeof v.uri !== 'string' || !SAFE_URI.test(v.uri)) continue;
    const average = bitRate(v.averageBandwidth);
    const attrs = [`BANDWIDTH=${bandwidth}`];
    if (average !== null) attrs.push(`AVERAGE-BANDWIDTH=${Math.min(average, bandwidth)}`);
    if (typeof v.resolution === 'string' && RESOLUTION.test(v.resolution)) attrs.push(`RESOLUTION=${v.resolution}`);
    if (typeof v.codecs === 'string' && v.codecs !== '' && QUOTABLE.test(v.codecs)) attrs.push(`CODECS="${v.codecs}"`);
    // Below 1e21 toFixed never switches to exponent notation; no real video comes near MAX_FRAME_RATE.
    const fps = typeof v.frameRate === 'number' && v.frameRate > 0 && v.frameRate <= MAX_FRAME_RATE ? v.frameRate.toFixed(3) : null;
    if (fps !== null && Number(fps) > 0) attrs.push(`FRAME-RATE=${fps}`);
    if (group !== null && v.audio === group) attrs.push(`AUDIO="${group}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** RESOLUTION and CODECS of `uri` as ffmpeg's master wrote them (unquoted), when present and well formed. */
export function describedVariant(entries: readonly StreamInf[], uri: string): { resolution?: string; codecs?: string } {
  const entry = entries.find((e) => e.uri === uri);
  if (!entry) return {};
  const resolution = entry.attributes.get('RESOLUTION');
  const codecs = entry.attributes.get('CODECS');
  const unquoted = codecs !== undefined && /^"[^"]*"$/.test(codecs) ? codecs.slice(1, -1) : undefined;
  return {
    ...(resolution !== undefined && RESOLUTION.test(resolution) ? { resolution } : {}),
    ...(unquoted ? { codecs: unquoted } : {}),
  };
}

function isQuotable(text: unknown): text is string {
  return typeof text === 'string' && text !== '' && QUOTABLE.test(text);
}

function bitRate(n: unknown): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.min(Math.ceil(n), Number.MAX_SAFE_INTEGER) : null;
}

function splitLines(text: unknown): string[] {
  return typeof text === 'string' ? text.split(/\r\n|\r|\n/).map((l) => l.trim()) : [];
}
