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
    path: 'live',
    title: 'Live now · watch-party',
    loadComponent: () => import('./pages/live/live-list-page.component').then((m) => m.LiveListPageComponent),
  },
  {
    // The page sets the title to the show's once it knows it.
    path: 'live/:id',
    title: 'Live · watch-party',
    loadComponent: () => import('./pages/live/live-show-page.component').then((m) => m.LiveShowPageComponent),
  },
  {
    path: 'go-live',
    title: 'Go live · watch-party',
    loadComponent: () => import('./pages/go-live/go-live-page.component').then((m) => m.GoLivePageComponent),
  },
  {
    path: '**',
    title: 'Not found · watch-party',
    loadComponent: () =>
      import('./pages/not-found/not-found-page.component').then((m) => m.NotFoundPageComponent),
  },
];
