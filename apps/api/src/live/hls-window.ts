/**
 * The live HLS media playlist we serve, kept by us (not by ffmpeg) so it follows RFC 8216
 * through publisher reconnects and the end of a show:
 *
 * - segment numbers never change once listed, and EXT-X-MEDIA-SEQUENCE is always the number of
 *   the first listed segment, growing by exactly the segments that left the window (6.2.1);
 * - each run after the first starts with EXT-X-DISCONTINUITY, and EXT-X-DISCONTINUITY-SEQUENCE
 *   grows by one whenever a segment carrying that tag leaves the window (6.2.2);
 * - a segment stays on disk SEGMENT_RETENTION_MS after it left the window (6.2.2: at least its
 *   duration plus the playlist's, ~7 s here);
 * - when the show ends the playlist gets EXT-X-ENDLIST (6.2.1) and stays served a while.
 *
 * Pure: text in, text out. The packager feeds it the segments ffmpeg lists in its private
 * per-run playlist and writes the result atomically.
 */

/** Segments listed in the served window. */
export const LIVE_LIST_SIZE = 6;
/** How long a segment stays on disk after leaving the window (>= segment + playlist duration). */
export const SEGMENT_RETENTION_MS = 10_000;
/** Served playlists longer than this are not ours: parsing stops (untrusted disk content). */
export const MAX_PLAYLIST_CHARS = 64 * 1024;

export interface LiveSegment {
  /** The segment's number: its file is `seg_<seq>.ts`. */
  seq: number;
  /** Seconds (EXTINF). */
  duration: number;
  /** EXT-X-PROGRAM-DATE-TIME as ffmpeg wrote it, or null. */
  pdt: string | null;
  /** First segment of a new run (a publisher reconnect): preceded by EXT-X-DISCONTINUITY. */
  discontinuity: boolean;
}

export interface HlsWindow {
  mediaSequence: number;
  discontinuitySequence: number;
  segments: LiveSegment[];
  ended: boolean;
}

export const EMPTY_WINDOW: HlsWindow = Object.freeze({
  mediaSequence: 0,
  discontinuitySequence: 0,
  segments: [],
  ended: false,
}) as HlsWindow;

const SEGMENT_LINE = /^seg_(\d{1,9})\.ts$/;

/**
 * Reads a playlist (ours, or ffmpeg's per-run one): never throws; anything it does not
 * understand is skipped, so the worst a damaged file can do is list fewer segments.
 */
export function parseLivePlaylist(text: string): HlsWindow {
  const out: HlsWindow = { mediaSequence: 0, discontinuitySequence: 0, segments: [], ended: false };
  let duration: number | null = null;
  let pdt: string | null = null;
  let discontinuity = false;
  let sawMediaSequence = false;
  for (const raw of text.slice(0, MAX_PLAYLIST_CHARS).split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      const n = Number(line.slice(22));
      if (Number.isSafeInteger(n) && n >= 0) {
        out.mediaSequence = n;
        sawMediaSequence = true;
      }
    } else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) {
      const n = Number(line.slice(30));
      if (Number.isSafeInteger(n) && n >= 0) out.discontinuitySequence = n;
    } else if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
    } else if (line === '#EXT-X-ENDLIST') {
      out.ended = true;
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      pdt = line.slice(25).slice(0, 64);
    } else if (line.startsWith('#EXTINF:')) {
      const d = Number.parseFloat(line.slice(8));
      duration = Number.isFinite(d) && d > 0 && d < 3600 ? d : null;
    } else {
      const seg = SEGMENT_LINE.exec(line);
      if (seg) {
        const seq = Number(seg[1]);
        const last = out.segments[out.segments.length - 1];
        if (duration !== null && (last === undefined || seq > last.seq)) {
          out.segments.push({ seq, duration, pdt, discontinuity });
        }
        duration = null;
        pdt = null;
        discontinuity = false;
      }
    }
  }
  if (!sawMediaSequence || out.segments.length === 0 || out.segments[0].seq !== out.mediaSequence) {
    out.mediaSequence = out.segments[0]?.seq ?? out.mediaSequence;
  }
  return out;
}

/**
 * Adds segments after the last one listed (older or repeated numbers are ignored), slides the
 * window to `listSize`, and says which segment numbers left it (to delete after the retention).
 */
export function appendSegments(
  window: HlsWindow,
  added: readonly LiveSegment[],
  listSize = LIVE_LIST_SIZE,
): { window: HlsWindow; removed: number[] } {
  const segments = [...window.segments];
  for (const s of added) {
    const last = segments[segments.length - 1];
    if (last !== undefined && s.seq <= last.seq) continue;
    segments.push(s);
  }
  const drop = Math.max(0, segments.length - Math.max(1, listSize));
  const gone = segments.splice(0, drop);
  const first = segments[0];
  return {
    window: {
      mediaSequence: first ? first.seq : window.mediaSequence,
      discontinuitySequence: window.discontinuitySequence + gone.filter((s) => s.discontinuity).length,
      segments,
      ended: window.ended,
    },
    removed: gone.map((s) => s.seq),
  };
}

/** The served text. `pdtFor` may shift a segment's PROGRAM-DATE-TIME (capture-time fix). */
export function renderLivePlaylist(window: HlsWindow, pdtFor: (s: LiveSegment) => string | null = (s) => s.pdt): string {
  const target = Math.max(1, ...window.segments.map((s) => Math.ceil(s.duration)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${window.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const s of window.segments) {
    // The first listed segment's discontinuity is already counted when it is the first ever
    // of its run; the tag stays until the segment leaves (then the sequence grows).
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${s.duration.toFixed(6)},`);
    const pdt = pdtFor(s);
    if (pdt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${pdt}`);
    lines.push(`seg_${s.seq}.ts`);
  }
  if (window.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** The show is over: no segment will be added. */
export function endWindow(window: HlsWindow): HlsWindow {
  return { ...window, ended: true };
}

/** Marks a run's first segment as a discontinuity when anything came before it. */
export function startOfRun(segments: readonly LiveSegment[], afterEarlierRun: boolean): LiveSegment[] {
  return segments.map((s, i) => (i === 0 && afterEarlierRun ? { ...s, discontinuity: true } : s));
}
