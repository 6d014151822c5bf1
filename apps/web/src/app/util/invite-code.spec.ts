import { parseInviteCode } from './invite-code';

const ID = 'AbCdEfGhIjK_-12345678';

describe('parseInviteCode', () => {
  it('accepts a bare id, trimming whitespace', () => {
    expect(parseInviteCode(ID)).toBe(ID);
    expect(parseInviteCode(`  ${ID}\n`)).toBe(ID);
  });

  it.each([
    [`https://watch.example.com/watch/${ID}`],
    [`http://localhost:3000/watch/${ID}`],
    [`http://127.0.0.1:4200/watch/${ID}/`],
    [`https://example.com/watch/${ID}?t=42`],
    [`https://example.com/watch/${ID}#chat`],
    [`example.com/watch/${ID}`],
    [`/watch/${ID}`],
    [`Join my party! https://example.com/watch/${ID} see you there`],
    [`https://example.com/some/prefix/watch/${ID}`],
  ])('extracts the id from %s', (input) => {
    expect(parseInviteCode(input)).toBe(ID);
  });

  it.each([
    [''],
    ['   '],
    ['short'],
    ['has spaces in it but long enough'],
    ['https://example.com/'],
    ['https://example.com/watch/'],
    ['https://example.com/watch/short'],
    [`https://example.com/watching/${ID}`],
    [`https://example.com/watch/${ID}!!`],
    ['a'.repeat(65)],
  ])('rejects %p', (input) => {
    expect(parseInviteCode(input)).toBeNull();
  });
});
