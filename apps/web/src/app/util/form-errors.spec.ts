import { createSessionBodySchema, joinSessionBodySchema } from '@watch-party/contracts';
import { optionalText, toFieldErrors } from './form-errors';

describe('toFieldErrors', () => {
  it('maps each failing contract field to one readable message', () => {
    const result = createSessionBodySchema.safeParse({ hostName: '   ', password: 'abc' });
    expect(result.success).toBe(false);
    if (result.success) return;
    const errors = toFieldErrors(result.error);
    expect(errors['hostName']).toBe('Please fill this in');
    expect(errors['password']).toBe('Must be at least 4 characters');
    expect(errors['name']).toBeUndefined();
  });

  it('reports too-long names with the contract limit', () => {
    const result = joinSessionBodySchema.safeParse({ name: 'x'.repeat(33) });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(toFieldErrors(result.error)).toEqual({ name: 'Must be at most 32 characters' });
  });
});

describe('optionalText', () => {
  it('turns blank input into undefined and keeps real text', () => {
    expect(optionalText('')).toBeUndefined();
    expect(optionalText('  ')).toBeUndefined();
    expect(optionalText(' Movie night ')).toBe(' Movie night ');
  });
});
