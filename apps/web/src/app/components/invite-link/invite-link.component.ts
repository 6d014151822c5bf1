import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  type ElementRef,
  inject,
  input,
  signal,
  viewChild,
} from '@angular/core';

const COPIED_FOR_MS = 2000;

/** Who the link lets in: a lock refuses everyone new, so it outranks the password. */
export type InviteAccess = 'open' | 'password' | 'locked';

/**
 * Read-only invite URL with a copy button ("Copied" for a moment after success) and, where the
 * browser has the Web Share API (phones mostly), a Share button that opens the system share
 * sheet; if sharing fails for another reason than the user cancelling, it copies instead.
 */
@Component({
  selector: 'wp-invite-link',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="field">
      <label class="label" for="invite-link-input">Invite link</label>
      <div class="input-group">
        <input
          #field
          id="invite-link-input"
          class="input"
          type="text"
          readonly
          data-testid="invite-link"
          [value]="url()"
          (focus)="field.select()"
        />
        <button type="button" class="btn btn-secondary copy-btn" data-testid="copy-invite" (click)="copy()">
          {{ copyState() === 'copied' ? 'Copied' : 'Copy' }}
        </button>
        @if (canShare) {
          <button type="button" class="btn btn-primary share-btn" data-testid="share-invite" (click)="share()">
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path
                d="M12 15V4m0 0L8 8m4-4 4 4M6 11H5v9h14v-9h-1"
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                stroke-linecap="round"
                stroke-linejoin="round"
              />
            </svg>
            Share
          </button>
        }
      </div>
      <p class="hint" aria-live="polite">
        @switch (copyState()) {
          @case ('copied') {
            Link copied. Send it to your friends.
          }
          @case ('failed') {
            Couldn't copy automatically: select the link and copy it.
          }
          @default {
            @switch (access()) {
              @case ('locked') {
                The party is locked: nobody new can join.
              }
              @case ('password') {
                People need the password to join.
              }
              @default {
                Anyone with this link can join.
              }
            }
          }
        }
      </p>
    </div>
  `,
  styles: `
    .copy-btn {
      min-width: 5.5rem;
    }
    .share-btn svg {
      width: 1.125rem;
      height: 1.125rem;
    }
    /* Phones: the link itself wraps under, the buttons share the row. */
    @media (max-width: 479.98px) {
      .input-group:has(.share-btn) {
        flex-wrap: wrap;
      }
      .input-group:has(.share-btn) .input {
        flex-basis: 100%;
      }
      .input-group:has(.share-btn) .btn {
        flex: 1;
      }
    }
  `,
})
export class InviteLinkComponent {
  readonly url = input.required<string>();
  readonly access = input<InviteAccess>('open');
  /** The party's name, offered to the share sheet. */
  readonly shareTitle = input('Watch party');

  protected readonly copyState = signal<'idle' | 'copied' | 'failed'>('idle');
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');
  private readonly document = inject(DOCUMENT);
  protected readonly canShare = typeof this.document.defaultView?.navigator.share === 'function';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.timer));
  }

  protected async copy(): Promise<void> {
    const ok = (await this.writeClipboard(this.url())) || this.legacyCopy();
    this.copyState.set(ok ? 'copied' : 'failed');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.copyState.set('idle'), COPIED_FOR_MS);
  }

  protected async share(): Promise<void> {
    const navigator = this.document.defaultView?.navigator;
    if (!navigator || typeof navigator.share !== 'function') {
      await this.copy();
      return;
    }
    try {
      await navigator.share({ title: this.shareTitle(), text: `Join “${this.shareTitle()}” on watch-party`, url: this.url() });
    } catch (error) {
      // Closing the share sheet is a choice, not a failure.
      if (error instanceof DOMException && error.name === 'AbortError') return;
      await this.copy();
    }
  }

  private async writeClipboard(text: string): Promise<boolean> {
    const clipboard = this.document.defaultView?.navigator.clipboard;
    if (!clipboard) return false;
    try {
      await clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Plain-http origins have no async clipboard API; selecting + execCommand still works. */
  private legacyCopy(): boolean {
    const input = this.field().nativeElement;
    input.focus();
    input.select();
    try {
      return this.document.execCommand('copy');
    } catch {
      return false;
    }
  }
}
