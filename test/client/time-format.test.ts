import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/index.js';
import { reduce } from '../../client/state/reducer.js';
import type { AppState } from '../../client/state/types.js';
import { onlineState } from './helpers.js';
import { frameText } from '../../client/ui/frame.js';
import { InputLine } from '../../client/ui/input-line.js';
import { RowCache } from '../../client/ui/message-rows.js';
import { renderFrame } from '../../client/ui/render.js';
import { themeFor } from '../../client/ui/theme.js';
import { configuredTimeFormat, timeFormat, type TimeFormat } from '../../client/ui/time-format.js';

const format = (pattern: string): TimeFormat => {
  const f = timeFormat(pattern);
  if (typeof f !== 'function') throw new Error(f.error);
  return f;
};

describe('the time format', () => {
  const morning = new Date(2024, 5, 1, 9, 5, 7).getTime();
  const evening = new Date(2024, 5, 1, 21, 45, 0).getTime();
  const midnight = new Date(2024, 5, 1, 0, 3, 0).getTime();

  it('formats the strftime codes a chat line needs', () => {
    expect(format('%H:%M')(morning)).toBe('09:05');
    expect(format('%H:%M:%S')(morning)).toBe('09:05:07');
    expect(format('%l:%M %p')(evening)).toBe('9:45 PM');
    expect(format('%I:%M%P')(morning)).toBe('09:05am');
    expect(format('%l:%M %p')(midnight)).toBe('12:03 AM');
    expect(format('[%H%%]')(evening)).toBe('[21%]');
    expect(format('')(evening)).toBe('');
  });

  it('refuses unknown codes, a dangling %, control characters and long patterns', () => {
    expect(timeFormat('%Y')).toEqual({ error: expect.stringContaining('unknown code %Y') });
    expect(timeFormat('%H%')).toEqual({ error: expect.stringContaining('unknown code % ') });
    expect(timeFormat('%H\x1b[31m')).toEqual({ error: 'must not hold control characters' });
    expect(timeFormat('%H'.repeat(17))).toEqual({ error: 'is too long (at most 32 characters)' });
    expect(configuredTimeFormat(undefined)(morning)).toBe('09:05');
  });
});

describe('lines drawn with a time format', () => {
  const NOW = new Date(2024, 5, 1, 14, 30, 9).getTime();
  const theme = themeFor({});

  const state = (...msgs: ServerMessage[]): AppState => onlineState(NOW, ...msgs);

  const pane = (s: AppState, cache: RowCache): string[] =>
    frameText(renderFrame(s, new InputLine(), 90, 20, theme, cache, NOW).frame).map((r) => r.split('│')[1] ?? '');

  it('puts the configured time before messages and pending lines, and wraps under the text', () => {
    let s = state({ type: 'message', room: '#lobby', id: 'i1', seq: 1, from: 'bob', text: 'hello alice', ts: NOW });
    s = reduce(s, { type: 'input', text: 'on my way', now: NOW }).state;
    const rows = pane(s, new RowCache(format('%l:%M:%S %p')));
    expect(rows).toContainEqual(expect.stringMatching(/^2:30:09 PM <bob> hello alice/));
    expect(rows).toContainEqual(expect.stringMatching(/^2:30:09 PM <alice> on my way/));
    expect(pane(s, new RowCache())).toContainEqual(expect.stringMatching(/^14:30 <bob> hello alice/));
  });

  it('shows no time at all with an empty format', () => {
    const s = state({ type: 'message', room: '#lobby', id: 'i1', seq: 1, from: 'bob', text: 'hello alice', ts: NOW });
    expect(pane(s, new RowCache(format('')))).toContainEqual(expect.stringMatching(/^<bob> hello alice/));
  });
});
