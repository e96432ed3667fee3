import { describe, expect, it } from 'vitest';
import { THEME_NAMES, themeFor, type Style } from '../../client/ui/theme.js';

describe('themes', () => {
  it.each(['dark', 'light'] as const)('%s: no nick gets the colour of errors, failures or mentions', (name) => {
    const theme = themeFor({}, name);
    const reserved = new Set([theme.error.fg, theme.failed.fg, theme.mention.fg, theme.mentionMark.fg]);
    expect(theme.nicks.length).toBeGreaterThan(5);
    for (const nick of theme.nicks) expect(reserved.has(nick.fg)).toBe(false);
  });

  it('mono, or any theme under NO_COLOR, has no colour at all, only attributes', () => {
    const styles = (t: ReturnType<typeof themeFor>): Style[] => Object.values(t).flatMap((v) => (Array.isArray(v) ? v : [v]));
    for (const theme of [themeFor({}, 'mono'), ...THEME_NAMES.map((n) => themeFor({ NO_COLOR: '1' }, n))]) {
      for (const style of styles(theme)) expect(style.fg === undefined && style.bg === undefined).toBe(true);
      expect(theme.mention).toMatchObject({ bold: true });
    }
  });

  it('light differs from dark where a light background needs it', () => {
    expect(themeFor({}, 'light').mention.fg).not.toBe(themeFor({}, 'dark').mention.fg);
    expect(themeFor({}, 'light').bar.bg).toBe(7);
  });
});
