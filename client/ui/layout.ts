/** Where each pane goes for a given terminal size; degrades pane by pane down to a 1x1 window. */
export interface Rect {
  row: number;
  col: number;
  width: number;
  height: number;
}

export interface Layout {
  rooms?: Rect;
  members?: Rect;
  messages: Rect;
  statusRow?: number;
  inputRow: number;
  width: number;
}

const SIDE_WIDTH = 18;

export function computeLayout(width: number, height: number): Layout {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const inputRow = h - 1;
  const statusRow = h >= 2 ? h - 2 : undefined;
  const paneHeight = Math.max(0, h - 2);
  const showRooms = w >= 50 && paneHeight >= 3;
  const showMembers = w >= 90 && paneHeight >= 3;
  const roomsWidth = showRooms ? SIDE_WIDTH : 0;
  const membersWidth = showMembers ? SIDE_WIDTH : 0;
  // One column each for the separators between panes.
  const msgCol = showRooms ? roomsWidth + 1 : 0;
  const msgWidth = Math.max(0, w - msgCol - (showMembers ? membersWidth + 1 : 0));
  const layout: Layout = { messages: { row: 0, col: msgCol, width: msgWidth, height: paneHeight }, inputRow, width: w };
  if (statusRow !== undefined) layout.statusRow = statusRow;
  if (showRooms) layout.rooms = { row: 0, col: 0, width: roomsWidth, height: paneHeight };
  if (showMembers) layout.members = { row: 0, col: w - membersWidth, width: membersWidth, height: paneHeight };
  return layout;
}
