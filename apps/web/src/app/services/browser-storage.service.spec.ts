import { TestBed } from '@angular/core/testing';
import { BrowserStorageService } from './browser-storage.service';

describe('BrowserStorageService', () => {
  let store: BrowserStorageService;

  beforeEach(() => {
    localStorage.clear();
    store = TestBed.inject(BrowserStorageService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('reads, writes and removes localStorage entries', () => {
    expect(store.read('wp.x')).toBeNull();
    store.write('wp.x', 'one');
    expect(localStorage.getItem('wp.x')).toBe('one');
    expect(store.read('wp.x')).toBe('one');
    store.remove('wp.x');
    expect(localStorage.getItem('wp.x')).toBeNull();
    expect(store.read('wp.x')).toBeNull();
  });

  it('keeps a memory copy for this tab when localStorage throws (quota, privacy mode)', () => {
    jest.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('quota', 'QuotaExceededError');
    });
    store.write('wp.x', 'kept');
    expect(localStorage.getItem('wp.x')).toBeNull();
    expect(store.read('wp.x')).toBe('kept');
    store.remove('wp.x');
    expect(store.read('wp.x')).toBeNull();
  });

  it('tells a watcher when another tab changes its key (or clears everything), until it unsubscribes', () => {
    const seen = jest.fn();
    const stop = store.watch('wp.x', seen);
    window.dispatchEvent(new StorageEvent('storage', { key: 'wp.other' }));
    expect(seen).not.toHaveBeenCalled();
    window.dispatchEvent(new StorageEvent('storage', { key: 'wp.x' }));
    window.dispatchEvent(new StorageEvent('storage', { key: null }));
    expect(seen).toHaveBeenCalledTimes(2);
    stop();
    window.dispatchEvent(new StorageEvent('storage', { key: 'wp.x' }));
    expect(seen).toHaveBeenCalledTimes(2);
  });
});
