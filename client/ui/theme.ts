/**
 * Semantic styles. No colour literal appears outside this file; with NO_COLOR set (no-color.org) only
 * attributes remain (bold, dim, reverse, underline), so every distinction still shows.
 */
export interface Style {
  /** An ANSI 16-colour index (0-15); 16-colour codes work in every terminal and under tmux. */
  fg?: number;
  bg?: number;
  bold?: boolean;
  dim?: boolean;
  reverse?: boolean;
  underline?: boolean;
}

export interface Theme {
  plain: Style;
  time: Style;
  event: Style;
  info: Style;
  error: Style;
  mention: Style;
  pending: Style;
  failed: Style;
  bar: Style;
  barOnline: Style;
  barOffline: Style;
  border: Style;
  current: Style;
  unread: Style;
  mentionMark: Style;
  heading: Style;
  prompt: Style;
  /** Nick colours; a nick always gets the same one. */
  nicks: Style[];
}

/** Dark backgrounds (the default). Nick colours never reuse the error (red) or mention (yellow) colours. */
const DARK_THEME: Theme = {
  plain: {},
  time: { fg: 8 },
  event: { dim: true },
  info: { fg: 6 },
  error: { fg: 9, bold: true },
  mention: { fg: 11, bold: true },
  pending: { dim: true },
  failed: { fg: 9 },
  bar: { fg: 15, bg: 4 },
  barOnline: { fg: 10, bg: 4, bold: true },
  barOffline: { fg: 11, bg: 1, bold: true },
  border: { fg: 8 },
  current: { reverse: true },
  unread: { bold: true },
  mentionMark: { fg: 11, bold: true },
  heading: { bold: true, underline: true },
  prompt: { fg: 6, bold: true },
  nicks: [2, 4, 5, 6, 10, 12, 13, 14].map((fg) => ({ fg })),
};

/** Light backgrounds: dark colours for text; red for errors, magenta for mentions, and neither for nicks. */
const LIGHT_THEME: Theme = {
  ...DARK_THEME,
  time: { fg: 8 },
  info: { fg: 4 },
  error: { fg: 1, bold: true },
  mention: { fg: 5, bold: true, underline: true },
  failed: { fg: 1 },
  bar: { fg: 0, bg: 7 },
  barOnline: { fg: 2, bg: 7, bold: true },
  barOffline: { fg: 1, bg: 7, bold: true },
  mentionMark: { fg: 5, bold: true },
  prompt: { fg: 4, bold: true },
  nicks: [2, 4, 6, 3, 12, 14, 10].map((fg) => ({ fg })),
};

export const THEME_NAMES = ['dark', 'light', 'mono'] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

function withoutColor(theme: Theme): Theme {
  const strip = ({ fg: _fg, bg: _bg, ...rest }: Style): Style => rest;
  const out = Object.fromEntries(Object.entries(theme).map(([k, v]) => [k, Array.isArray(v) ? v.map(strip) : strip(v as Style)]));
  const plainTheme = out as unknown as Theme;
  // Without colour, the bars and marks need attributes to stand out.
  return {
    ...plainTheme, bar: { reverse: true }, barOnline: { reverse: true, bold: true }, barOffline: { reverse: true, bold: true, underline: true },
    mention: { bold: true, underline: true }, error: { bold: true }, mentionMark: { bold: true }, nicks: [{ bold: true }],
  };
}

/** The theme by name (dark by default); NO_COLOR set to anything non-empty turns colour off whatever the name. */
export function themeFor(env: NodeJS.ProcessEnv, name: ThemeName = 'dark'): Theme {
  if (env.NO_COLOR || name === 'mono') return withoutColor(DARK_THEME);
  return name === 'light' ? LIGHT_THEME : DARK_THEME;
}

export function nickStyle(theme: Theme, nick: string): Style {
  let hash = 0;
  for (const ch of nick.toLowerCase()) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0;
  return theme.nicks[hash % theme.nicks.length]!;
}

export function sgr(style: Style): string {
  const codes = ['0'];
  if (style.bold) codes.push('1');
  if (style.dim) codes.push('2');
  if (style.underline) codes.push('4');
  if (style.reverse) codes.push('7');
  if (style.fg !== undefined) codes.push(String(style.fg < 8 ? 30 + style.fg : 90 + style.fg - 8));
  if (style.bg !== undefined) codes.push(String(style.bg < 8 ? 40 + style.bg : 100 + style.bg - 8));
  return `\x1b[${codes.join(';')}m`;
}
