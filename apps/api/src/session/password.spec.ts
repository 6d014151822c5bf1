import { hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('stores a salted scrypt hash, never the password', async () => {
    const a = await hashPassword('open sesame');
    const b = await hashPassword('open sesame');
    expect(a).toMatch(/^scrypt\$\d+\$8\$1\$/);
    expect(a).not.toContain('open sesame');
    expect(a).not.toBe(b); // different salts
  });

  it('verifies the right password and rejects others', async () => {
    const stored = await hashPassword('open sesame');
    expect(await verifyPassword('open sesame', stored)).toBe(true);
    expect(await verifyPassword('open sesame!', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(await verifyPassword('open sesame', 'garbage')).toBe(false);
  });
});
