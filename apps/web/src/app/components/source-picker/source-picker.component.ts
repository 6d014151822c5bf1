import { ChangeDetectionStrategy, Component, type ElementRef, input, signal, viewChild } from '@angular/core';
import { type AckErrorCode, type Source, urlSourceSchema } from '@watch-party/contracts';

export type SourceSetResult = { ok: true } | { ok: false; error: { code: AckErrorCode; message: string } };
export type SourceSetter = (source: Source) => Promise<SourceSetResult>;

/**
 * Controllers pick what the party watches: a pasted link now; uploads from the media
 * library will be a second tab here (same `source:set`, with `{ kind: 'media' }`).
 */
@Component({
  selector: 'wp-source-picker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="panel" aria-labelledby="source-heading">
      <header class="panel-header">
        <h2 id="source-heading" class="panel-title">{{ hasSource() ? 'Change the video' : 'Pick a video' }}</h2>
      </header>
      <form class="form" novalidate (submit)="submit($event)">
        <div class="field">
          <label class="label" for="source-url">Video link</label>
          <div class="input-group">
            <input
              #urlInput
              id="source-url"
              class="input"
              name="sourceUrl"
              type="url"
              inputmode="url"
              autocomplete="off"
              placeholder="https://example.com/movie.m3u8"
              data-testid="source-url"
              [value]="url()"
              [attr.aria-invalid]="error() ? true : null"
              [attr.aria-describedby]="error() ? 'source-error' : 'source-hint'"
              (input)="edit(urlInput.value)"
            />
            <button type="submit" class="btn btn-primary" data-testid="source-submit" [disabled]="busy()">
              {{ busy() ? 'Loading…' : 'Play this' }}
            </button>
          </div>
          @if (error(); as message) {
            <p id="source-error" class="field-error" role="alert" data-testid="source-error">{{ message }}</p>
          } @else {
            <p id="source-hint" class="hint">
              A link to an .mp4, .webm or .m3u8 (HLS) file. Everyone starts it together, paused at 0:00.
            </p>
          }
        </div>
      </form>
      <p class="upload-soon">
        <button type="button" class="btn btn-secondary" disabled aria-describedby="upload-soon-note">Upload a file</button>
        <span id="upload-soon-note" class="muted small">Coming soon</span>
      </p>
    </section>
  `,
  styles: `
    .upload-soon {
      display: flex;
      align-items: center;
      gap: 0.75rem;
      margin: 0.75rem 0 0;
    }
  `,
})
export class SourcePickerComponent {
  readonly send = input.required<SourceSetter>();
  readonly hasSource = input(false);

  protected readonly url = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  private readonly urlInput = viewChild.required<ElementRef<HTMLInputElement>>('urlInput');

  protected edit(value: string): void {
    this.url.set(value);
    if (this.error()) this.error.set(null);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy()) return;
    const url = this.url().trim();
    if (url === '') {
      this.error.set('Paste a link to a video first');
      return;
    }
    const parsed = urlSourceSchema.safeParse({ kind: 'url', url });
    if (!parsed.success) {
      this.error.set('That link must start with http(s):// and end in .mp4, .webm or .m3u8');
      return;
    }
    this.busy.set(true);
    try {
      const result = await this.send()(parsed.data);
      if (result.ok) {
        this.url.set('');
        this.urlInput().nativeElement.value = ''; // the binding may not have seen the typed text yet
        this.error.set(null);
      } else {
        this.error.set(
          result.error.code === 'FORBIDDEN' ? 'Only the host and controllers can change the video' : result.error.message,
        );
      }
    } finally {
      this.busy.set(false);
    }
  }
}
