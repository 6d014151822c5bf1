import { DestroyRef, type Signal, inject, signal } from '@angular/core';

/** A message on screen for a while: read it like a signal, `show()` it, it clears itself. */
export interface TransientMessage extends Signal<string | null> {
  /** Shows `message` for the message's time (a new one starts the clock again); null clears at once. */
  show(message: string | null): void;
}

/**
 * A message (an error, a notice) that disappears `visibleMs` after it was shown, so nothing stale
 * stays on screen. Create it in an injection context: its timer ends with the component.
 */
export function transientMessage(visibleMs: number): TransientMessage {
  const current = signal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  inject(DestroyRef).onDestroy(() => clearTimeout(timer));
  return Object.assign(current.asReadonly(), {
    show(message: string | null): void {
      clearTimeout(timer);
      current.set(message);
      if (message !== null) timer = setTimeout(() => current.set(null), visibleMs);
    },
  });
}
