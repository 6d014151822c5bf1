import { randomId } from './random-id';

describe('randomId', () => {
  it('uses crypto.randomUUID when the page has it', () => {
    const crypto: Pick<Crypto, 'randomUUID'> = { randomUUID: () => '00000000-0000-4000-8000-000000000000' };
    expect(randomId(crypto)).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('still gives distinct ids of at most 64 characters without it (non-secure origins)', () => {
    const ids = new Set(Array.from({ length: 50 }, () => randomId(null)));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(64);
  });
});
