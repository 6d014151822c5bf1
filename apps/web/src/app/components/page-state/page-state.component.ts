import { ChangeDetectionStrategy, Component, booleanAttribute, input, output } from '@angular/core';

/**
 * A page that says one thing, in the middle: "Loading…" with a spinner (`loading`), or a card
 * with a heading and the projected text and actions (not found, removed, refused…).
 */
@Component({
  selector: 'wp-page-state',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'page page-state', '[attr.aria-busy]': 'loading() ? true : null' },
  template: `
    @if (loading(); as label) {
      <div class="page-state-box" role="status">
        <span class="spinner" aria-hidden="true"></span>
        <p class="muted">{{ label }}</p>
      </div>
    } @else {
      <section class="card card-narrow page-state-card" [attr.role]="alert() ? 'alert' : null" [attr.data-testid]="testId()">
        <h1 class="card-title">{{ heading() }}</h1>
        <ng-content />
      </section>
    }
  `,
})
export class PageStateComponent {
  /** Shows a spinner with this text instead of the card. */
  readonly loading = input<string | null>(null);
  readonly heading = input('');
  /** Announce the card at once (bad news). */
  readonly alert = input(false, { transform: booleanAttribute });
  readonly testId = input<string | null>(null);
}

/** The server did not answer: say so, and offer to try again. */
@Component({
  selector: 'wp-unreachable-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [PageStateComponent],
  host: { style: 'display: contents' },
  template: `
    <wp-page-state heading="Server unreachable" testId="unreachable" alert>
      <p class="muted">We couldn't reach watch-party. Check your connection and try again.</p>
      <button type="button" class="btn btn-primary" data-testid="retry" (click)="retry.emit()">Try again</button>
    </wp-page-state>
  `,
})
export class UnreachablePageComponent {
  readonly retry = output();
}
