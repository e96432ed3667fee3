/**
 * Terminal column widths measured per grapheme cluster, so CJK, emoji, ZWJ sequences, flags and
 * VS16 emoji take the same number of columns as in a modern terminal (weechat #1861, #2265).
 */
import { eastAsianWidth } from 'get-east-asian-width';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Built at run time: TypeScript rejects the /v flag below an ES2024 target, Node 20 supports it.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b\u2028\u2029\ufe00-\ufe0f]+$/u;

export function graphemes(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of segmenter.segment(text)) out.push(segment);
  return out;
}

/** Columns one grapheme cluster occupies: 0, 1 or 2. */
export function clusterWidth(cluster: string): number {
  const cp = cluster.codePointAt(0) ?? 0;
  if (cp < 0x7f && cluster.length === 1) return cp >= 0x20 ? 1 : 0;
  if (ZERO_WIDTH.test(cluster)) return 0;
  if (RGI_EMOJI.test(cluster)) return 2;
  if (cluster.includes('\ufe0f') && PICTOGRAPHIC.test(cluster)) return 2;
  return eastAsianWidth(cp);
}

export function stringWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += clusterWidth(segment);
  return width;
}

/** Cuts `text` to at most `width` columns, then pads with spaces to exactly `width`. */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = clusterWidth(segment);
    if (used + w > width) break;
    out += segment;
    used += w;
  }
  return out + ' '.repeat(width - used);
}
