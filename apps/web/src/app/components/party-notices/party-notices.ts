import type { Participant, Source } from '@watch-party/contracts';

/** Same video, whatever else differs (subtitles come and go with it). */
export function sameSource(a: Source | null, b: Source | null): boolean {
  if (a === null || b === null) return a === b;
  switch (a.kind) {
    case 'media':
      return b.kind === 'media' && a.mediaId === b.mediaId;
    case 'url':
      return b.kind === 'url' && a.url === b.url;
    case 'live':
      return b.kind === 'live' && a.showId === b.showId;
  }
}

/** What to call a source before anything better is known. */
export function fallbackTitle(source: Source): string {
  switch (source.kind) {
    case 'media':
      return 'the previous video';
    case 'url':
      return titleFromUrl(source.url);
    case 'live':
      return 'the live show';
  }
}

/** A name for a link: its file name ("trailer.mp4"), else its host. */
export function titleFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const file = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).at(-1) ?? '');
    return file || parsed.host || url;
  } catch {
    return url;
  }
}

/** "Bo is now the host" / "You are now the host". */
export function hostNotice(host: Participant, youId: string | null): string {
  return host.id === youId ? 'You are now the host' : `${host.name} is now the host`;
}

/**
 * One line for the participants who can't play the source: "Bo can't play this video: <why>",
 * "Bo and Cy can't play this video", "Bo and 2 others can't play this video".
 */
export function cantPlaySummary(failing: Participant[]): string {
  const [first, second] = failing;
  if (!first) return '';
  if (failing.length === 1) {
    const reason = reasonText(first.error);
    return reason ? `${first.name} can't play this video: ${reason}` : `${first.name} can't play this video`;
  }
  if (failing.length === 2 && second) return `${first.name} and ${second.name} can't play this video`;
  return `${first.name} and ${failing.length - 1} others can't play this video`;
}

/** The player's own wording starts with "This video can't be played: ": not worth saying twice. */
export function reasonText(error: string | undefined): string {
  const reason = error?.trim() ?? '';
  return reason.replace(/^this video can['’]t be played\s*[:.]?\s*/i, '');
}
