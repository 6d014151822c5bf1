import { signal } from '@angular/core';
import { ID_PATTERN } from '@watch-party/contracts';
import { isApiRequestError } from './http';

export type PageLoad<T> =
  | { kind: 'loading' }
  | { kind: 'not-found' }
  | { kind: 'unreachable' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; value: T };

/**
 * What a page's route id names (a party, a show), as the page shows it: loading, not found (a
 * malformed id or a 404), unreachable (no answer), another error, or ready. Only the latest load
 * counts: the answer to an earlier one is dropped.
 */
export class PageLoader<T> {
  readonly state = signal<PageLoad<T>>({ kind: 'loading' });
  private generation = 0;

  constructor(private readonly find: (id: string) => Promise<T>) {}

  /** Resolves with what was loaded; null when it failed or a later load came first. */
  async load(id: string): Promise<T | null> {
    const generation = ++this.generation;
    if (!ID_PATTERN.test(id)) {
      this.state.set({ kind: 'not-found' });
      return null;
    }
    this.state.set({ kind: 'loading' });
    try {
      const value = await this.find(id);
      if (generation !== this.generation) return null;
      this.state.set({ kind: 'ready', value });
      return value;
    } catch (error) {
      if (generation === this.generation) this.state.set(failure(error));
      return null;
    }
  }
}

function failure(error: unknown): PageLoad<never> {
  if (isApiRequestError(error) && error.statusCode === 404) return { kind: 'not-found' };
  if (isApiRequestError(error) && error.isNetworkError) return { kind: 'unreachable' };
  return { kind: 'error', message: isApiRequestError(error) ? error.message : 'Something went wrong' };
}
