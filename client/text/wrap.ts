import { clusterWidth, graphemes } from './width.js';

/**
 * Breaks one line into rows of at most `width` columns, at spaces when it can and between grapheme
 * clusters when a word is longer than a row. Never splits a cluster.
 */
export function wrapLine(text: string, width: number): string[] {
  if (width <= 0) return [];
  const rows: string[] = [];
  let row = '';
  let rowWidth = 0;
  let lastSpace = -1; // index in `row` just after the last space, and that row width
  let widthAtSpace = 0;
  for (const g of graphemes(text)) {
    const w = clusterWidth(g);
    if (rowWidth + w > width) {
      if (g === ' ') {
        rows.push(row);
        row = '';
        rowWidth = 0;
        lastSpace = -1;
        continue;
      }
      if (lastSpace > 0) {
        rows.push(row.slice(0, lastSpace).trimEnd());
        row = row.slice(lastSpace);
        rowWidth -= widthAtSpace;
      } else {
        rows.push(row);
        row = '';
        rowWidth = 0;
      }
      lastSpace = -1;
      if (w > width) continue; // a wide cluster in a one-column pane cannot be drawn at all
    }
    row += g;
    rowWidth += w;
    if (g === ' ') {
      lastSpace = row.length;
      widthAtSpace = rowWidth;
    }
  }
  if (row !== '' || rows.length === 0) rows.push(row);
  return rows;
}
