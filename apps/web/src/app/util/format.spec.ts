import { formatBytes, formatClock, formatDrift, formatRate, formatTime, viewersText } from './format';

describe('formatTime', () => {
  it.each([
    [0, '0:00'],
    [5.9, '0:05'],
    [65, '1:05'],
    [600, '10:00'],
    [3600, '1:00:00'],
    [3725.2, '1:02:05'],
    [-3, '0:00'],
    [Number.NaN, '0:00'],
    [Number.POSITIVE_INFINITY, '0:00'],
  ])('%p s -> %p', (s, text) => expect(formatTime(s)).toBe(text));
});

describe('formatDrift', () => {
  it.each([
    [3.2, '+3 ms'],
    [-12.6, '−13 ms'],
    [0.3, '0 ms'],
    [-0.4, '0 ms'],
    [1500, '+1.5 s'],
    [-2000, '−2.0 s'],
  ])('%p ms -> %p', (ms, text) => expect(formatDrift(ms)).toBe(text));
});

describe('formatClock', () => {
  it('gives zero-padded local HH:MM', () => {
    const at = new Date(2026, 0, 2, 7, 5, 59).getTime();
    expect(formatClock(at)).toBe('07:05');
    expect(formatClock(new Date(2026, 0, 2, 23, 41).getTime())).toBe('23:41');
  });
});

describe('viewersText', () => {
  it.each([
    [0, '0 watching'],
    [1, '1 watching'],
    [12, '12 watching'],
  ])('%p -> %p', (n, text) => expect(viewersText(n)).toBe(text));
});

describe('formatRate', () => {
  it('drops trailing zeros', () => {
    expect(formatRate(1)).toBe('1×');
    expect(formatRate(1.5)).toBe('1.5×');
    expect(formatRate(0.75)).toBe('0.75×');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [812, '812 bytes'],
    [1536, '1.5 KB'],
    [1_500_000, '1.43 MB'],
    [25_690_000, '24.5 MB'],
    [200 * 1024 * 1024, '200 MB'],
    [4294967296, '4 GB'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
