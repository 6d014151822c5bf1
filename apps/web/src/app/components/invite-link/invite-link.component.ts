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

/** Read-only invite URL with a copy button ("Copied" for a moment after success). */
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
  `,
})
export class InviteLinkComponent {
  readonly url = input.required<string>();
  readonly access = input<InviteAccess>('open');

  protected readonly copyState = signal<'idle' | 'copied' | 'failed'>('idle');
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');
  private readonly document = inject(DOCUMENT);
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
