import type { Media } from '@watch-party/contracts';

/**
 * What other features need from the library: look an item up. Parties and presence depend on
 * this narrow port rather than on MediaService, so their rules are unit-tested with an
 * in-memory catalog (MediaService is the one provided at runtime).
 */
export abstract class MediaCatalog {
  /** The public view of a media item, or null when the id names nothing. */
  abstract find(id: string): Promise<Media | null>;
}
