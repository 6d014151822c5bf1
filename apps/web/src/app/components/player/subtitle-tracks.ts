import { type Media, type Source, SubtitleFormatError, checkWebVtt, srtToWebVtt } from '@watch-party/contracts';

/** One subtitle track the viewer can pick: a library item's track or one a link carries. */
export interface CaptionTrack {
  /** Stable within the current source (the track's URL). */
  key: string;
  url: string;
  label: string;
  lang: string | null;
  /**
   * A link's track is fetched and handed over as a blob (it may be SubRip, or on a server
   * that only allows CORS); a library item's WebVTT comes straight from this server.
   */
  fetched: boolean;
}

/** What this browser last chose: captions on or off, and in which language / under which label. */
export interface CaptionPreference {
  on: boolean;
  lang: string | null;
  label: string | null;
}

export const CAPTIONS_KEY = 'wp.captions';
export const CAPTIONS_OFF: CaptionPreference = { on: false, lang: null, label: null };

/** The tracks of the current source: `Media.subtitles` for a library item, `source.subtitles` for a link. */
export function captionTracksOf(source: Source | null, media: Media | null): CaptionTrack[] {
  const list =
    source?.kind === 'url'
      ? (source.subtitles ?? []).map((t) => ({ url: t.url, label: t.label, lang: t.lang ?? null, fetched: true }))
      : source?.kind === 'media' && media?.id === source.mediaId
        ? media.subtitles.map((t) => ({ url: t.url, label: t.label, lang: t.lang, fetched: false }))
        : [];
  const seen = new Set<string>();
  const tracks: CaptionTrack[] = [];
  for (const t of list) {
    if (seen.has(t.url)) continue;
    seen.add(t.url);
    tracks.push({ key: t.url, ...t });
  }
  return tracks;
}

export function parsePreference(raw: string | null): CaptionPreference {
  if (!raw) return CAPTIONS_OFF;
  try {
    const json: unknown = JSON.parse(raw);
    if (typeof json !== 'object' || json === null) return CAPTIONS_OFF;
    const record = json as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 64 ? value : null);
    return { on: record['on'] === true, lang: text(record['lang']), label: text(record['label']) };
  } catch {
    return CAPTIONS_OFF;
  }
}

const primary = (lang: string) => lang.split('-')[0].toLowerCase();
const same = (a: string | null, b: string | null) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/**
 * The track that matches what this browser chose before: same language and label, else the
 * same language, else the same primary language ("pt" for "pt-BR"), else the same label.
 * Null when captions are off or nothing matches.
 */
export function preferredTrack(tracks: CaptionTrack[], preference: CaptionPreference): CaptionTrack | null {
  if (!preference.on) return null;
  const { lang, label } = preference;
  return (
    (lang && tracks.find((t) => same(t.lang, lang) && same(t.label, label))) ||
    (lang && tracks.find((t) => same(t.lang, lang))) ||
    (lang && tracks.find((t) => t.lang !== null && primary(t.lang) === primary(lang))) ||
    tracks.find((t) => same(t.label, label)) ||
    null
  );
}

export function preferenceFor(track: CaptionTrack | null): CaptionPreference {
  return track ? { on: true, lang: track.lang, label: track.label } : CAPTIONS_OFF;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f', quot: '"', apos: "'" };

/** A cue's text as plain lines: WebVTT tags (<i>, <v Ann>, <00:01.000>) removed, entities decoded, line breaks kept. */
export function cuePlainText(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
      }
      return ENTITIES[name.toLowerCase()] ?? match;
    })
    .trim();
}

/** The text of each active cue, in order, empty ones left out. */
export function activeCueTexts(cues: ArrayLike<TextTrackCue> | null | undefined): string[] {
  const texts: string[] = [];
  for (let i = 0; i < (cues?.length ?? 0); i++) {
    const cue = cues?.[i] as (TextTrackCue & { text?: unknown }) | undefined;
    const text = typeof cue?.text === 'string' ? cuePlainText(cue.text) : '';
    if (text) texts.push(text);
  }
  return texts;
}

/**
 * Text fetched from a link, as WebVTT: WebVTT is kept (checked when it can be; the browser's own
 * parser copes with the rest), SubRip converted by the same converter the server uses for
 * uploads. Throws SubtitleFormatError when the text holds no cue at all.
 */
export function toWebVtt(text: string): string {
  const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!/^WEBVTT(?:[ \t\n]|$)/.test(body)) return srtToWebVtt(body);
  try {
    return checkWebVtt(body);
  } catch {
    return body;
  }
}

/** Whether `url` would be loaded from another origin than the page's. */
export function isCrossOrigin(url: string, base: string): boolean {
  try {
    return new URL(url, base).origin !== new URL(base).origin;
  } catch {
    return true;
  }
}

export interface SubtitleRendererEvents {
  /** The texts of the cues active at the element's (synced) position; empty: nothing on screen. */
  cues(texts: string[]): void;
  /** The chosen track couldn't be loaded. */
  failed(message: string): void;
}

/**
 * Puts the chosen track on the <video> as `<track kind="subtitles">` in mode `hidden`: the
 * browser parses the WebVTT and follows the element's clock (the synced one), and every
 * `cuechange` hands the active cues to the page, which draws them itself. A link's track
 * (or any from another origin) is fetched, converted to WebVTT when it is SubRip, and given
 * as a blob: the video itself is not loaded with `crossorigin`, so links that play without
 * CORS keep playing.
 */
export class SubtitleRenderer {
  private element: HTMLTrackElement | null = null;
  private blobUrl: string | null = null;
  private generation = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: SubtitleRendererEvents,
    private readonly fetchText: (url: string) => Promise<string>,
  ) {}

  async show(track: CaptionTrack | null): Promise<void> {
    const generation = ++this.generation;
    this.clear();
    if (!track) return;
    const document = this.video.ownerDocument;
    let src = track.url;
    if (track.fetched || isCrossOrigin(track.url, document.baseURI)) {
      try {
        const text = await this.fetchText(track.url);
        if (generation !== this.generation) return;
        src = URL.createObjectURL(new Blob([toWebVtt(text)], { type: 'text/vtt' }));
        this.blobUrl = src;
      } catch (error) {
        if (generation === this.generation) {
          this.events.failed(
            error instanceof SubtitleFormatError
              ? `The subtitles “${track.label}” are not a SubRip or WebVTT file.`
              : `Couldn't load the subtitles “${track.label}”: their server didn't answer or doesn't allow this site (CORS).`,
          );
        }
        return;
      }
    }
    const element = document.createElement('track');
    element.kind = 'subtitles';
    element.label = track.label;
    if (track.lang) element.srclang = track.lang;
    const update = () => {
      if (element === this.element) this.events.cues(activeCueTexts(element.track?.activeCues));
    };
    element.addEventListener('cuechange', update);
    element.addEventListener('load', () => {
      this.hide(element);
      update();
    });
    element.addEventListener('error', () => {
      if (element === this.element) this.events.failed(`Couldn't load the subtitles “${track.label}”.`);
    });
    element.src = src;
    this.element = element;
    this.video.appendChild(element);
    this.hide(element);
  }

  destroy(): void {
    this.generation++;
    this.clear();
  }

  /** Hidden: loaded and timed by the browser, drawn by us (never the browser's own rendering). */
  private hide(element: HTMLTrackElement): void {
    const textTrack = element.track as TextTrack | undefined;
    if (textTrack && textTrack.mode !== 'hidden') textTrack.mode = 'hidden';
  }

  private clear(): void {
    if (this.element) {
      const textTrack = this.element.track as TextTrack | undefined;
      if (textTrack) textTrack.mode = 'disabled';
      this.element.remove();
      this.element = null;
      this.events.cues([]);
    }
    if (this.blobUrl) {
      URL.revokeObjectURL(this.blobUrl);
      this.blobUrl = null;
    }
  }
}
