import type { Media } from '@watch-party/contracts';
import { newId } from '../../common/ids';
import { MediaImporter } from '../media-importer';

/** The library as the live feature sees it: records imports, answers a new item each time. */
export class FakeMediaImporter extends MediaImporter {
  transcodingAvailable = true;
  readonly imports: { path: string; title: string; id: string }[] = [];
  /** When set, importing fails with this reason (a 415 from the real library). */
  failure: string | null = null;
  private held: Promise<void> = Promise.resolve();

  /** Imports wait (a slow probe) until the returned function is called. */
  hold(): () => void {
    let release: () => void = () => undefined;
    this.held = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  }

  async importFile(path: string, title: string): Promise<Media> {
    await this.held;
    if (this.failure !== null) throw new Error(this.failure);
    const id = newId();
    this.imports.push({ path, title, id });
    return {
      id,
      title,
      status: 'processing',
      progress: 0,
      durationSec: null,
      renditions: [],
      fileUrl: `/api/media/${id}/file`,
      hlsUrl: null,
      posterUrl: null,
      createdAt: new Date(0).toISOString(),
      sizeBytes: 0,
      subtitles: [],
    };
  }
}
