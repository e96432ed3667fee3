/**
 * docs/protocol.md and shared/errors.ts must list the same error codes (as fastify's errors.test.js
 * keeps its Errors.md in step with the catalog): each code gets a `### CODE` heading with a meaning
 * under "## Error codes", and no heading names a code that does not exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(ROOT, 'docs/protocol.md'), 'utf8');

/** The text of one `## ` section, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start === -1) return '';
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

const errorSection = section(doc, 'Error codes');
const headings = [...errorSection.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim());
const codes = Object.values(ErrorCode);

describe('docs/protocol.md error codes', () => {
  it('has an "## Error codes" section', () => {
    expect(errorSection.length).toBeGreaterThan(0);
  });

  it('ErrorCode values equal their keys', () => {
    for (const [key, value] of Object.entries(ErrorCode)) expect(value).toBe(key);
  });

  it.each(codes)('documents %s', (code) => {
    expect(headings).toContain(code);
  });

  it('documents no code that shared/errors.ts lacks, and none twice', () => {
    expect(headings.filter((h) => !(codes as string[]).includes(h))).toStrictEqual([]);
    expect(new Set(headings).size).toBe(headings.length);
    expect([...headings].sort()).toStrictEqual([...codes].sort());
  });

  it('gives every code a meaning under its heading', () => {
    const parts = errorSection.split(/^### .+$/m).slice(1);
    expect(parts).toHaveLength(headings.length);
    parts.forEach((body, i) => expect(body.trim().length, headings[i]).toBeGreaterThan(20));
  });

  it('lists the codes in the order shared/errors.ts declares them', () => {
    expect(headings).toStrictEqual(codes);
  });
});
