import { describe, expect, it } from 'vitest';
import { titleSequence, windowTitle } from '../../client/ui/title.js';
import type { AppState, View } from '../../client/state/types.js';

const view = (id: string, kind: View['kind'], title: string, unread = 0, mentioned = false) =>
  ({ id, kind, title, unread, mentioned }) as View;
const state = (current: string, views: View[]) => ({ current, views }) as AppState;

describe('the window title', () => {
  it('names the current view and counts what is unread elsewhere, marking a mention', () => {
    const views = [view('*', 'server', 'chat'), view('#lobby', 'room', '#lobby', 3), view('@bob', 'dm', 'bob', 1, true)];
    expect(windowTitle(state('#lobby', views))).toBe('(1!) #lobby — chat');
    expect(windowTitle(state('@bob', views))).toBe('(3) @bob — chat');
    expect(windowTitle(state('#lobby', [view('#lobby', 'room', '#lobby', 5)]))).toBe('#lobby — chat');
  });

  it('cannot be ended early by a name: control characters are dropped from the sequence', () => {
    expect(titleSequence('a\x07b\x1b]2;evil\x1b\\c')).toBe('\x1b]2;ab]2;evil\\c\x1b\\');
  });
});
