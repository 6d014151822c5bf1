import { DOCUMENT, Injectable, inject } from '@angular/core';

/**
 * The one localStorage wrapper of the app. When storage is unavailable (disabled, quota,
 * sandboxed iframe) it degrades to memory for this tab, so callers never need a try/catch.
 */
@Injectable({ providedIn: 'root' })
export class BrowserStorageService {
  private readonly view = inject(DOCUMENT).defaultView;
  private readonly storage = resolveStorage(this.view);
  private readonly memory = new Map<string, string>();

  read(key: string): string | null {
    if (this.storage) {
      try {
        return this.storage.getItem(key) ?? this.memory.get(key) ?? null;
      } catch {
        // Fall back to memory.
      }
    }
    return this.memory.get(key) ?? null;
  }

  write(key: string, value: string): void {
    if (this.storage) {
      try {
        this.storage.setItem(key, value);
        this.memory.delete(key);
        return;
      } catch {
        // Quota or privacy mode: a memory copy keeps this tab working.
      }
    }
    this.memory.set(key, value);
  }

  remove(key: string): void {
    this.memory.delete(key);
    try {
      this.storage?.removeItem(key);
    } catch {
      // Storage unavailable: memory already cleared.
    }
  }

  /**
   * Calls `listener` when another tab of this origin changes `key` (the `storage` event
   * never fires in the tab that wrote). Returns the unsubscribe function.
   */
  watch(key: string, listener: () => void): () => void {
    const view = this.view;
    if (!view) return () => undefined;
    const handler = (event: StorageEvent) => {
      // A null key means another tab cleared the whole storage.
      if (event.key === key || event.key === null) listener();
    };
    view.addEventListener('storage', handler);
    return () => view.removeEventListener('storage', handler);
  }
}

function resolveStorage(view: (Window & typeof globalThis) | null): Storage | null {
  try {
    return view?.localStorage ?? null;
  } catch {
    return null;
  }
}
