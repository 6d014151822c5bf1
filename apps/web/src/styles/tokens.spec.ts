import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Small text (<= 14 px: hints, badges, drift figures, chat times, chips) must keep 4.5:1
 * against what it sits on (WCAG 2.x, 1.4.3) in BOTH themes. This reads the two theme mixins of
 * _tokens.scss, so changing a colour there that breaks a pair fails here.
 */

type Rgba = [number, number, number, number];
type Theme = Map<string, string>;

const SOURCE = readFileSync(join(__dirname, '_tokens.scss'), 'utf8');

function themeBlock(name: 'dark' | 'light'): Theme {
  const match = new RegExp(`@mixin ${name}\\s*\\{([^}]*)\\}`).exec(SOURCE);
  if (!match) throw new Error(`_tokens.scss has no @mixin ${name}`);
  const vars = new Map<string, string>();
  for (const [, key, value] of match[1].matchAll(/(--[a-z0-9-]+)\s*:\s*([^;]+);/g)) vars.set(key, value.trim());
  return vars;
}

function parseColour(value: string): Rgba {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value);
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join('') : hex[1];
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)).concat(1) as Rgba;
  }
  const rgb = /^rgb\(\s*(\d+)\s+(\d+)\s+(\d+)\s*(?:\/\s*([\d.]+)(%?))?\s*\)$/.exec(value);
  if (rgb) {
    const alpha = rgb[4] === undefined ? 1 : Number(rgb[4]) / (rgb[5] ? 100 : 1);
    return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3]), alpha];
  }
  throw new Error(`unsupported colour ${value}`);
}

/** A translucent colour painted over an opaque one. */
function over(top: Rgba, base: Rgba): Rgba {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + base[i] * (1 - a)).concat(1) as Rgba;
}

function luminance([r, g, b]: Rgba): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function colour(theme: Theme, name: string): Rgba {
  const value = theme.get(name);
  if (value === undefined) throw new Error(`${name} is missing`);
  return parseColour(value);
}

/** A background given as tokens painted bottom-up: `['--surface', '--info-bg']`. */
function background(theme: Theme, layers: string[]): Rgba {
  return layers.map((l) => colour(theme, l)).reduce((base, top) => over(top, base));
}

/** [text token, background layers, where]: every pairing small text uses. */
const SURFACES = [['--bg'], ['--surface'], ['--surface-2'], ['--surface-3']];
const PAIRS: [string, string[], string][] = [
  ...['--text', '--text-muted'].flatMap((t) => SURFACES.map((s): [string, string[], string] => [t, s, 'hints, labels, badges, drift figures'])),
  // Chat times, counters, placeholders: never on the hover colour --surface-3.
  ...[['--bg'], ['--surface'], ['--surface-2']].map((s): [string, string[], string] => ['--text-faint', s, 'chat times, counters']),
  ['--accent', ['--bg'], 'eyebrows, links'],
  ['--accent', ['--surface'], 'links, "Play" in the picker'],
  ['--accent', ['--surface-2'], 'chat names, menus'],
  ['--accent', ['--surface', '--info-bg'], 'Host badge, processing chip'],
  ['--accent-text', ['--accent'], 'primary buttons, unread count'],
  ['--danger', ['--surface'], 'field errors'],
  ['--danger', ['--surface', '--danger-bg'], 'error alerts, failed chip'],
  ['--success', ['--surface'], 'upload done'],
  ['--success', ['--surface', '--success-bg'], 'ready chip'],
  ['--warning', ['--warning-bg'], 'reconnecting banner'],
  ['--warning', ['--surface'], 'chat counter near the limit'],
  ['--live-text', ['--live'], 'LIVE badge'],
];

describe('theme tokens (_tokens.scss)', () => {
  const themes = { dark: themeBlock('dark'), light: themeBlock('light') };

  it('define every colour in both themes', () => {
    const dark = [...themes.dark.keys()].sort();
    expect(dark.length).toBeGreaterThan(20);
    expect([...themes.light.keys()].sort()).toEqual(dark);
    for (const theme of Object.values(themes)) for (const value of theme.values()) expect(() => parseColour(value)).not.toThrow();
  });

  it.each(['dark', 'light'] as const)('%s: small text keeps >= 4.5:1 against its background', (name) => {
    const theme = themes[name];
    const failures = PAIRS.map(([text, layers, where]) => ({
      pair: `${text} on ${layers.join(' + ')} (${where})`,
      ratio: Math.round(contrast(colour(theme, text), background(theme, layers)) * 100) / 100,
    })).filter((r) => r.ratio < 4.5);
    expect(failures).toEqual([]);
  });

  it('the focus ring stands out (>= 3:1) against the page in both themes', () => {
    for (const theme of Object.values(themes)) {
      for (const s of SURFACES) expect(contrast(colour(theme, '--focus'), background(theme, s))).toBeGreaterThanOrEqual(3);
    }
  });

  it('computes WCAG ratios: black on white is 21:1, a colour on itself 1:1, translucency composites', () => {
    expect(contrast(parseColour('#000'), parseColour('#ffffff'))).toBeCloseTo(21, 5);
    expect(contrast(parseColour('#777777'), parseColour('#777777'))).toBe(1);
    expect(over(parseColour('rgb(0 0 0 / 50%)'), parseColour('#ffffff')).map(Math.round)).toEqual([128, 128, 128, 1]);
    expect(() => parseColour('tomato')).toThrow('unsupported colour tomato');
  });
});
