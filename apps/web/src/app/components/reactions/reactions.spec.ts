import { REACTION_EMOJIS } from '@watch-party/contracts';
import { REACTION_NAMES, isTypingTarget, reactionForKey } from './reactions';

describe('reactions', () => {
  it('maps keys 1-8 to the bar, in order, and nothing else', () => {
    expect(REACTION_EMOJIS.map((_, i) => reactionForKey(String(i + 1)))).toEqual([...REACTION_EMOJIS]);
    for (const key of ['0', '9', 'k', ' ', 'F1', '12', '']) expect(reactionForKey(key)).toBeNull();
  });

  it('names every emoji for screen readers', () => {
    for (const emoji of REACTION_EMOJIS) expect(REACTION_NAMES[emoji]).toMatch(/^[A-Z]/);
  });

  it('treats text fields as typing, buttons and the page as not', () => {
    const make = (html: string) => {
      const host = document.createElement('div');
      host.innerHTML = html;
      return host.firstElementChild;
    };
    expect(isTypingTarget(make('<input type="text">'))).toBe(true);
    expect(isTypingTarget(make('<input>'))).toBe(true);
    expect(isTypingTarget(make('<input type="search">'))).toBe(true);
    expect(isTypingTarget(make('<textarea></textarea>'))).toBe(true);
    expect(isTypingTarget(make('<select></select>'))).toBe(true);
    const editable = make('<div contenteditable="true"></div>') as HTMLElement;
    Object.defineProperty(editable, 'isContentEditable', { value: true });
    expect(isTypingTarget(editable)).toBe(true);
    expect(isTypingTarget(make('<input type="checkbox">'))).toBe(false);
    expect(isTypingTarget(make('<button></button>'))).toBe(false);
    expect(isTypingTarget(document.body)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
    expect(isTypingTarget(window)).toBe(false);
  });
});
