/**
 * Splits a fragmented MP4 byte stream (ffmpeg `-f mp4 -movflags
 * frag_keyframe+empty_moov+default_base_moof`, written to a pipe) into what a Media Source
 * Extensions player needs: the init segment (ftyp + moov, with its RFC 6381 codecs string) and
 * media fragments (moof + mdat), each flagged when it starts with a video keyframe.
 *
 * Pure and bounded: bytes are fed as they come, in chunks of any size; a box larger than
 * MAX_BOX_BYTES, or a malformed header, stops the splitter for good (`failed`), since the
 * stream cannot be resynchronised. Nothing here trusts a size field before checking it.
 */

/** Largest box accepted (a 500 ms fragment at 50 Mbit/s is ~3 MiB). */
export const MAX_BOX_BYTES = 8 * 1024 * 1024;

export interface Fmp4Init {
  data: Buffer;
  /** RFC 6381, e.g. `avc1.64001f,mp4a.40.2`; empty when no track was recognised. */
  codecs: string;
}

export interface Fmp4Fragment {
  data: Buffer;
  /** Starts with a video sync sample (or the stream has no video). */
  keyframe: boolean;
  /** Video frames (samples of the video track) in this fragment; 0 without video. */
  videoFrames: number;
  /** When its first video frame is to be decoded, seconds on the track's timeline; null without video. */
  videoStartSec: number | null;
}

interface Box {
  type: string;
  /** Offset of the payload (after the header) and the end, within the buffer given. */
  start: number;
  end: number;
}

/** The boxes directly inside `buf[from, to)`; stops at the first malformed one. */
export function childBoxes(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      const big = buf.readBigUInt64BE(at + 8);
      if (big > BigInt(to - at)) break;
      size = Number(big);
      header = 16;
    }
    if (size < header || at + size > to) break;
    out.push({ type, start: at + header, end: at + size });
    at += size;
  }
  return out;
}

function find(buf: Buffer, box: Box, path: string[]): Box[] {
  if (path.length === 0) return [box];
  const [head, ...rest] = path;
  return childBoxes(buf, box.start, box.end)
    .filter((b) => b.type === head)
    .flatMap((b) => find(buf, b, rest));
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Codecs (RFC 6381), the video track ids and each track's timescale (mdhd) of an init segment (ftyp + moov). */
export function describeInit(init: Buffer): { codecs: string; videoTracks: number[]; timescales: Map<number, number> } {
  const codecs: string[] = [];
  const videoTracks: number[] = [];
  const timescales = new Map<number, number>();
  const top = childBoxes(init, 0, init.length);
  for (const moov of top.filter((b) => b.type === 'moov')) {
    for (const trak of find(init, moov, ['trak'])) {
      const hdlr = find(init, trak, ['mdia', 'hdlr'])[0];
      const handler = hdlr && hdlr.end - hdlr.start >= 12 ? init.toString('latin1', hdlr.start + 8, hdlr.start + 12) : '';
      const tkhd = find(init, trak, ['tkhd'])[0];
      let trackId = -1;
      if (tkhd && tkhd.end - tkhd.start >= 24) {
        const version = init[tkhd.start];
        const idAt = tkhd.start + (version === 1 ? 20 : 12);
        if (idAt + 4 <= tkhd.end) trackId = init.readUInt32BE(idAt);
      }
      for (const entry of find(init, trak, ['mdia', 'minf', 'stbl', 'stsd'])) {
        // stsd: version/flags and an entry count, then the sample entries; a visual sample
        // entry has 78 bytes of fields before its own boxes (avcC).
        for (const sample of childBoxes(init, entry.start + 8, entry.end)) {
          if (sample.type === 'avc1' || sample.type === 'avc3') {
            const avcC = childBoxes(init, sample.start + 78, sample.end).find((b) => b.type === 'avcC');
            if (avcC && avcC.end - avcC.start >= 4) {
              codecs.push(`${sample.type}.${hex2(init[avcC.start + 1])}${hex2(init[avcC.start + 2])}${hex2(init[avcC.start + 3])}`);
            }
          } else if (sample.type === 'mp4a') {
            codecs.push('mp4a.40.2');
          }
        }
      }
      if (handler === 'vide' && trackId >= 0) videoTracks.push(trackId);
      const mdhd = find(init, trak, ['mdia', 'mdhd'])[0];
      if (mdhd && trackId >= 0) {
        // version/flags, then creation and modification times (4 or 8 bytes each), then the timescale.
        const at = mdhd.start + (init[mdhd.start] === 1 ? 20 : 12);
        if (at + 4 <= mdhd.end) {
          const timescale = init.readUInt32BE(at);
          if (timescale > 0) timescales.set(trackId, timescale);
        }
      }
    }
  }
  return { codecs: codecs.join(','), videoTracks, timescales };
}

/**
 * The video frames of a fragment (the sample counts of its video track's `trun` boxes) and
 * when the first is decoded (`tfdt`, in seconds of the track's timescale); zero frames and a
 * null start when it carries no video, or its boxes are not what ffmpeg writes.
 */
export function videoSamples(
  fragment: Buffer,
  videoTracks: readonly number[],
  timescales: ReadonlyMap<number, number>,
): { frames: number; startSec: number | null } {
  const none = { frames: 0, startSec: null };
  const moof = childBoxes(fragment, 0, fragment.length).find((b) => b.type === 'moof');
  if (!moof) return none;
  for (const traf of find(fragment, moof, ['traf'])) {
    const tfhd = find(fragment, traf, ['tfhd'])[0];
    if (!tfhd || tfhd.end - tfhd.start < 8) continue;
    const track = fragment.readUInt32BE(tfhd.start + 4);
    const timescale = timescales.get(track);
    if (!videoTracks.includes(track) || timescale === undefined) continue;
    const tfdt = find(fragment, traf, ['tfdt'])[0];
    let decodeTime: number | null = null;
    if (tfdt && fragment[tfdt.start] === 1 && tfdt.end - tfdt.start >= 12) decodeTime = Number(fragment.readBigUInt64BE(tfdt.start + 4));
    else if (tfdt && tfdt.end - tfdt.start >= 8) decodeTime = fragment.readUInt32BE(tfdt.start + 4);
    let frames = 0;
    for (const trun of find(fragment, traf, ['trun'])) {
      if (trun.end - trun.start >= 8) frames += fragment.readUInt32BE(trun.start + 4);
    }
    return decodeTime === null ? none : { frames, startSec: decodeTime / timescale };
  }
  return none;
}

/** Whether a fragment (moof + mdat) starts with a sync sample of one of `videoTracks`. */
export function startsWithKeyframe(fragment: Buffer, videoTracks: readonly number[]): boolean {
  if (videoTracks.length === 0) return true; // audio only: every fragment is a starting point
  const moof = childBoxes(fragment, 0, fragment.length).find((b) => b.type === 'moof');
  if (!moof) return false;
  for (const traf of find(fragment, moof, ['traf'])) {
    const tfhd = find(fragment, traf, ['tfhd'])[0];
    if (!tfhd || tfhd.end - tfhd.start < 8) continue;
    const tfhdFlags = fragment.readUIntBE(tfhd.start + 1, 3);
    if (!videoTracks.includes(fragment.readUInt32BE(tfhd.start + 4))) continue;
    let defaultFlags: number | null = null;
    let at = tfhd.start + 8;
    if (tfhdFlags & 0x01) at += 8; // base-data-offset
    if (tfhdFlags & 0x02) at += 4; // sample-description-index
    if (tfhdFlags & 0x08) at += 4; // default-sample-duration
    if (tfhdFlags & 0x10) at += 4; // default-sample-size
    if (tfhdFlags & 0x20 && at + 4 <= tfhd.end) defaultFlags = fragment.readUInt32BE(at);
    const trun = find(fragment, traf, ['trun'])[0];
    if (!trun || trun.end - trun.start < 8) return false;
    const trunFlags = fragment.readUIntBE(trun.start + 1, 3);
    let p = trun.start + 8; // version/flags, sample_count
    if (trunFlags & 0x001) p += 4; // data-offset
    let flags: number | null = null;
    if (trunFlags & 0x004) {
      if (p + 4 > trun.end) return false;
      flags = fragment.readUInt32BE(p); // first-sample-flags
    } else if (trunFlags & 0x400) {
      // Per-sample flags: the first sample's, after its duration and size fields.
      const q = p + (trunFlags & 0x100 ? 4 : 0) + (trunFlags & 0x200 ? 4 : 0);
      if (q + 4 > trun.end) return false;
      flags = fragment.readUInt32BE(q);
    } else {
      flags = defaultFlags;
    }
    if (flags === null) return false;
    // sample_is_non_sync_sample (bit 16) clear, and sample_depends_on (bits 24-25) not "depends".
    return (flags & 0x00010000) === 0 && ((flags >>> 24) & 0x3) !== 1;
  }
  return false;
}

export class Fmp4Splitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private initParts: Buffer[] = [];
  private fragmentParts: Buffer[] = [];
  private videoTracks: number[] = [];
  private timescales = new Map<number, number>();
  private initDone = false;
  failed: string | null = null;

  constructor(
    private readonly onInit: (init: Fmp4Init) => void,
    private readonly onFragment: (fragment: Fmp4Fragment) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed !== null || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.pendingBytes < 8) return;
      const head = this.peek(16);
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (size === 1) {
        if (this.pendingBytes < 16) return;
        const big = head.readBigUInt64BE(8);
        size = big > BigInt(MAX_BOX_BYTES) ? MAX_BOX_BYTES + 1 : Number(big);
      }
      if (size < 8 || size > MAX_BOX_BYTES || !/^[\x20-\x7e]{4}$/.test(type)) {
        this.fail(`bad box header (${JSON.stringify(type)}, ${size} bytes)`);
        return;
      }
      if (this.pendingBytes < size) return;
      this.box(type, this.take(size));
    }
  }

  private box(type: string, data: Buffer) {
    if (!this.initDone) {
      if (type === 'moof') {
        this.fail('a fragment before the init segment');
        return;
      }
      this.initParts.push(data);
      if (type === 'moov') {
        const init = Buffer.concat(this.initParts);
        this.initParts = [];
        this.initDone = true;
        const { codecs, videoTracks, timescales } = describeInit(init);
        this.videoTracks = videoTracks;
        this.timescales = timescales;
        this.onInit({ data: init, codecs });
      }
      return;
    }
    if (type === 'moof') {
      this.fragmentParts = [data];
    } else if (type === 'mdat' && this.fragmentParts.length > 0) {
      this.fragmentParts.push(data);
      const fragment = Buffer.concat(this.fragmentParts);
      this.fragmentParts = [];
      const video = videoSamples(fragment, this.videoTracks, this.timescales);
      this.onFragment({ data: fragment, keyframe: startsWithKeyframe(fragment, this.videoTracks), videoFrames: video.frames, videoStartSec: video.startSec });
    }
    // Anything else (styp, sidx, mfra at the end, free) carries nothing a player needs here.
  }

  private fail(why: string) {
    this.failed = why;
    this.pending = [];
    this.pendingBytes = 0;
    this.initParts = [];
    this.fragmentParts = [];
  }

  private peek(n: number): Buffer {
    const first = this.pending[0];
    if (first.length >= Math.min(n, this.pendingBytes)) return first;
    return Buffer.concat(this.pending).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }
}
