import { TestBed } from '@angular/core/testing';
import { ADMIN_TOKEN_KEY, ManageKeysService, OWNER_KEYS_KEY } from './manage-keys.service';

const ADMIN = 'admin-token-0123456789abcdef0123456789';

describe('ManageKeysService', () => {
  let keys: ManageKeysService;
  /** A new instance stands for a reloaded tab: nothing shared but localStorage. */
  const reload = () => TestBed.runInInjectionContext(() => new ManageKeysService());
  const stored = () => JSON.parse(localStorage.getItem(OWNER_KEYS_KEY) ?? 'null') as Record<string, { key: string }> | null;

  beforeEach(() => {
    localStorage.clear();
    keys = TestBed.inject(ManageKeysService);
  });

  afterEach(() => jest.restoreAllMocks());

  it('keeps owner keys by media id, and they survive a reload', () => {
    keys.saveOwnerKey('media-a', 'key-a');
    keys.saveOwnerKey('media-b', 'key-b');
    expect(stored()).toMatchObject({ 'media-a': { key: 'key-a' }, 'media-b': { key: 'key-b' } });

    const again = reload();
    expect(again.ownerKey('media-a')).toBe('key-a');
    expect(again.ownerKey('media-b')).toBe('key-b');
    expect(again.ownerKey('media-c')).toBeNull();
    expect(again.canManage('media-a')).toBe(true);
    expect(again.canManage('media-c')).toBe(false);
  });

  it('forgets one key; the entry disappears with the last key', () => {
    keys.saveOwnerKey('media-a', 'key-a');
    keys.saveOwnerKey('media-b', 'key-b');
    keys.forgetOwnerKey('media-a');
    expect(keys.ownerKey('media-a')).toBeNull();
    expect(keys.ownerKey('media-b')).toBe('key-b');
    keys.forgetOwnerKey('media-b');
    expect(localStorage.getItem(OWNER_KEYS_KEY)).toBeNull();
  });

  it('drops keys of items the server no longer lists, but keeps a key saved after the list was asked for', () => {
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    keys.saveOwnerKey('still-there', 'k1');
    keys.saveOwnerKey('gone', 'k2');
    now.mockReturnValue(3_000);
    keys.saveOwnerKey('uploaded-meanwhile', 'k3');

    keys.keepOwnerKeysFor(['still-there', 'never-mine'], 2_000);
    expect(keys.ownerKey('still-there')).toBe('k1');
    expect(keys.ownerKey('gone')).toBeNull();
    expect(keys.ownerKey('uploaded-meanwhile')).toBe('k3');
    expect(Object.keys(stored() ?? {}).sort()).toEqual(['still-there', 'uploaded-meanwhile']);
    expect(reload().ownerKey('gone')).toBeNull();
  });

  it('ignores corrupt or wrongly shaped storage, keeping the good entries', () => {
    localStorage.setItem(OWNER_KEYS_KEY, '{not json');
    expect(reload().ownerKey('x')).toBeNull();
    localStorage.setItem(OWNER_KEYS_KEY, JSON.stringify(['a']));
    expect(reload().ownerKey('0')).toBeNull();
    localStorage.setItem(
      OWNER_KEYS_KEY,
      JSON.stringify({ good: { key: 'k', savedAt: 1 }, empty: { key: '', savedAt: 1 }, bare: 'k', huge: { key: 'x'.repeat(600), savedAt: 1 } }),
    );
    const again = reload();
    expect(again.ownerKey('good')).toBe('k');
    expect(again.ownerKey('empty')).toBeNull();
    expect(again.ownerKey('bare')).toBeNull();
    expect(again.ownerKey('huge')).toBeNull();
  });

  it('keeps the admin token across a reload and forgets it on sign-out', () => {
    expect(keys.adminToken()).toBeNull();
    expect(keys.isAdmin()).toBe(false);
    keys.setAdminToken(ADMIN);
    expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBe(ADMIN);
    expect(keys.isAdmin()).toBe(true);
    expect(reload().adminToken()).toBe(ADMIN);
    keys.forgetAdminToken();
    expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
    expect(reload().adminToken()).toBeNull();
  });

  it('the admin may manage every item; an item is managed with its owner key first, else the admin token', () => {
    keys.saveOwnerKey('mine', 'owner-key');
    expect(keys.credentialFor('mine')).toBe('owner-key');
    expect(keys.credentialFor('theirs')).toBeNull();
    expect(keys.canManage('theirs')).toBe(false);
    keys.setAdminToken(ADMIN);
    expect(keys.canManage('theirs')).toBe(true);
    expect(keys.credentialFor('theirs')).toBe(ADMIN);
    expect(keys.credentialFor('mine')).toBe('owner-key');
  });

  it('follows what another tab stores (an upload there, a sign-out there)', () => {
    keys.setAdminToken(ADMIN);
    // The other tab writes localStorage directly; only the storage event reaches this one.
    localStorage.setItem(OWNER_KEYS_KEY, JSON.stringify({ other: { key: 'k-other', savedAt: 1 } }));
    window.dispatchEvent(new StorageEvent('storage', { key: OWNER_KEYS_KEY }));
    expect(keys.ownerKey('other')).toBe('k-other');
    localStorage.removeItem(ADMIN_TOKEN_KEY);
    window.dispatchEvent(new StorageEvent('storage', { key: ADMIN_TOKEN_KEY }));
    expect(keys.isAdmin()).toBe(false);
  });

  it('a save made in another tab a moment ago is not overwritten by this tab', () => {
    keys.saveOwnerKey('here', 'k-here');
    // Another tab added its key without this tab hearing of it yet.
    const raw = JSON.parse(localStorage.getItem(OWNER_KEYS_KEY) ?? '{}') as Record<string, unknown>;
    localStorage.setItem(OWNER_KEYS_KEY, JSON.stringify({ ...raw, there: { key: 'k-there', savedAt: 1 } }));
    keys.saveOwnerKey('also-here', 'k-also');
    expect(Object.keys(stored() ?? {}).sort()).toEqual(['also-here', 'here', 'there']);
  });

  it('works in memory for this tab when localStorage throws', () => {
    jest.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('quota', 'QuotaExceededError');
    });
    keys.saveOwnerKey('media-a', 'key-a');
    keys.setAdminToken(ADMIN);
    expect(keys.ownerKey('media-a')).toBe('key-a');
    expect(keys.adminToken()).toBe(ADMIN);
  });
});
