/**
 * The time shown before each line, from the config's `time` setting: a strftime-style pattern as in
 * irssi and weechat, limited to what a chat line needs. Unknown `%` codes are refused when the config
 * is read, so a typo shows as an error, not as a broken column.
 */
export type TimeFormat = (ts: number) => string;

export const DEFAULT_TIME_FORMAT = '%H:%M';

const two = (n: number): string => String(n).padStart(2, '0');
const hour12 = (d: Date): number => d.getHours() % 12 || 12;

const CODES: Record<string, (d: Date) => string> = {
  H: (d) => two(d.getHours()),
  M: (d) => two(d.getMinutes()),
  S: (d) => two(d.getSeconds()),
  I: (d) => two(hour12(d)),
  l: (d) => String(hour12(d)),
  p: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  P: (d) => (d.getHours() < 12 ? 'am' : 'pm'),
  '%': () => '%',
};

export const TIME_CODES = Object.keys(CODES).map((c) => `%${c}`).join(' ');

/** The formatter for `pattern`, or an error naming what is wrong with it. */
export function timeFormat(pattern: string): TimeFormat | { error: string } {
  if (pattern.length > 32) return { error: 'is too long (at most 32 characters)' };
  if (/[\p{Cc}]/u.test(pattern)) return { error: 'must not hold control characters' };
  const parts: Array<string | ((d: Date) => string)> = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '%') {
      parts.push(pattern[i]!);
      continue;
    }
    const code = pattern[++i];
    const format = code === undefined ? undefined : CODES[code];
    if (!format) return { error: `has an unknown code %${code ?? ''} (known: ${TIME_CODES})` };
    parts.push(format);
  }
  return (ts) => {
    const d = new Date(ts);
    return parts.map((p) => (typeof p === 'string' ? p : p(d))).join('');
  };
}

export const defaultTimeFormat = timeFormat(DEFAULT_TIME_FORMAT) as TimeFormat;

/** The config's pattern (checked when the config was read), or the default. */
export function configuredTimeFormat(pattern: string | undefined): TimeFormat {
  const format = pattern === undefined ? defaultTimeFormat : timeFormat(pattern);
  return typeof format === 'function' ? format : defaultTimeFormat;
}
