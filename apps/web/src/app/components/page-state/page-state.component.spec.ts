import { Component, signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { PageStateComponent, UnreachablePageComponent } from './page-state.component';

@Component({
  imports: [PageStateComponent, UnreachablePageComponent],
  template: `
    @if (loading()) {
      <wp-page-state loading="Loading party…" />
    } @else {
      <wp-page-state heading="Party not found" testId="not-found">
        <p class="muted">This invite link is wrong.</p>
      </wp-page-state>
      <wp-unreachable-page (retry)="retries = retries + 1" />
    }
  `,
})
class StatesHost {
  readonly loading = signal(true);
  retries = 0;
}

describe('PageStateComponent', () => {
  let fixture: ComponentFixture<StatesHost>;
  const q = (selector: string) => (fixture.nativeElement as HTMLElement).querySelector<HTMLElement>(selector);

  beforeEach(async () => {
    fixture = TestBed.createComponent(StatesHost);
    await fixture.whenStable();
  });

  it('shows a loading page as busy, with its text in a status', () => {
    expect(q('wp-page-state')?.getAttribute('aria-busy')).toBe('true');
    expect(q('[role="status"]')?.textContent).toContain('Loading party…');
    expect(q('h1')).toBeNull();
  });

  it('shows a card with a heading and the page’s own text; only bad news is an alert', async () => {
    fixture.componentInstance.loading.set(false);
    await fixture.whenStable();
    const notFound = q('[data-testid="not-found"]');
    expect(notFound?.querySelector('h1')?.textContent).toBe('Party not found');
    expect(notFound?.textContent).toContain('This invite link is wrong.');
    expect(notFound?.hasAttribute('role')).toBe(false);
    expect(q('wp-page-state')?.hasAttribute('aria-busy')).toBe(false);

    const unreachable = q('[data-testid="unreachable"]');
    expect(unreachable?.getAttribute('role')).toBe('alert');
    expect(unreachable?.querySelector('h1')?.textContent).toBe('Server unreachable');
    q('[data-testid="retry"]')?.click();
    expect(fixture.componentInstance.retries).toBe(1);
  });
});
