import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
