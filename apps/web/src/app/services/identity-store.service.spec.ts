import { TestBed } from '@angular/core/testing';
import { IdentityStoreService, LAST_NAME_KEY, identityKey } from './identity-store.service';

const IDENTITY = { token: 'tok.en', participantId: 'p-1', name: 'Ann' };

describe('IdentityStoreService', () => {
  let store: IdentityStoreService;

  beforeEach(() => {
    localStorage.clear();
    store = TestBed.inject(IdentityStoreService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('persists under wp.identity.<sessionId> as JSON', () => {
    store.set('session-a', IDENTITY);
    expect(JSON.parse(localStorage.getItem('wp.identity.session-a') ?? 'null')).toEqual(IDENTITY);
    expect(identityKey('session-a')).toBe('wp.identity.session-a');
  });

  it('reads back what an earlier page load stored (reload keeps the identity)', () => {
    localStorage.setItem('wp.identity.session-a', JSON.stringify(IDENTITY));
    // A new instance stands for a reloaded tab: nothing shared but localStorage.
    const afterReload = TestBed.runInInjectionContext(() => new IdentityStoreService());
    expect(afterReload.get('session-a')).toEqual(IDENTITY);
  });

  it('keeps identities of different sessions apart', () => {
    store.set('session-a', IDENTITY);
    store.set('session-b', { ...IDENTITY, token: 'other', name: 'Bob' });
    expect(store.get('session-a')?.token).toBe('tok.en');
    expect(store.get('session-b')?.token).toBe('other');
    expect(store.get('session-c')).toBeNull();
  });

  it('clear() forgets only that session', () => {
    store.set('session-a', IDENTITY);
    store.set('session-b', IDENTITY);
    store.clear('session-a');
    expect(store.get('session-a')).toBeNull();
    expect(localStorage.getItem('wp.identity.session-a')).toBeNull();
    expect(store.get('session-b')).toEqual(IDENTITY);
  });

  it('drops corrupt or wrongly shaped entries', () => {
    localStorage.setItem('wp.identity.bad-json', '{not json');
    localStorage.setItem('wp.identity.bad-shape', JSON.stringify({ token: '', participantId: 'p' }));
    expect(store.get('bad-json')).toBeNull();
    expect(store.get('bad-shape')).toBeNull();
    expect(localStorage.getItem('wp.identity.bad-json')).toBeNull();
    expect(localStorage.getItem('wp.identity.bad-shape')).toBeNull();
  });

  it('remembers the last name used, for prefilling forms', () => {
    expect(store.lastName()).toBe('');
    store.set('session-a', { ...IDENTITY, name: 'Zoë' });
    expect(store.lastName()).toBe('Zoë');
    expect(localStorage.getItem(LAST_NAME_KEY)).toBe('Zoë');
  });

  it('keeps working in memory when localStorage throws (quota, privacy mode)', () => {
    jest.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('quota', 'QuotaExceededError');
    });
    store.set('session-a', IDENTITY);
    expect(store.get('session-a')).toEqual(IDENTITY);
    store.clear('session-a');
    expect(store.get('session-a')).toBeNull();
  });
});
