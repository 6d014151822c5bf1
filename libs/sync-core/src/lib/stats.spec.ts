import { median, pushBounded } from './stats';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([5, 1, 3], 'upper')).toBe(3);
  });

  it('averages the two middle values of an even count, or takes the upper one', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([4, 1, 3, 2], 'upper')).toBe(3);
  });

  it('does not reorder its input and is NaN for no values', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(median([])).toBeNaN();
  });
});

describe('pushBounded', () => {
  it('keeps the newest `max` entries, oldest first', () => {
    const log: number[] = [];
    for (let i = 1; i <= 5; i++) pushBounded(log, i, 3);
    expect(log).toEqual([3, 4, 5]);
  });
});
