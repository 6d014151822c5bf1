import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'wp-not-found-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink],
  template: `
    <div class="page">
      <section class="card card-narrow centered">
        <h1 class="card-title">Page not found</h1>
        <p class="muted">There is nothing at this address.</p>
        <a class="btn btn-primary" routerLink="/">Go home</a>
      </section>
    </div>
  `,
})
export class NotFoundPageComponent {}
