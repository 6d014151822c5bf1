import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { App } from './app';

describe('App shell', () => {
  it('renders the product name linking home and a main landmark', async () => {
    await TestBed.configureTestingModule({ imports: [App], providers: [provideRouter([])] }).compileComponents();
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    const brand = root.querySelector<HTMLAnchorElement>('header a.brand');
    expect(brand?.textContent?.trim()).toBe('watch-party');
    expect(brand?.getAttribute('href')).toBe('/');
    expect(root.querySelector('main#main router-outlet')).not.toBeNull();
  });
});
