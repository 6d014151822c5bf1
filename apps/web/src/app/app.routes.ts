import type { Route } from '@angular/router';

export const appRoutes: Route[] = [
  {
    path: '',
    pathMatch: 'full',
    title: 'watch-party',
    loadComponent: () => import('./pages/home/home-page.component').then((m) => m.HomePageComponent),
  },
  {
    path: 'library',
    title: 'Library · watch-party',
    loadComponent: () => import('./pages/library/library-page.component').then((m) => m.LibraryPageComponent),
  },
  {
    // The page sets the title to the party's name once it knows it.
    path: 'watch/:id',
    title: 'watch-party',
    loadComponent: () => import('./pages/watch/watch-page.component').then((m) => m.WatchPageComponent),
  },
  {
    path: '**',
    title: 'Not found · watch-party',
    loadComponent: () =>
      import('./pages/not-found/not-found-page.component').then((m) => m.NotFoundPageComponent),
  },
];
