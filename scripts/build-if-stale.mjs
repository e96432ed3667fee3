#!/usr/bin/env node
/**
 * Runs the TypeScript build only when a source file is newer than its built file (or has none), so
 * `npm start` and `npm run chat` start at once after `npm install` (which builds in `prepare`) and still
 * rebuild after an edit. Reads `include` and `outDir` from tsconfig.json in the current folder.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = process.cwd();

function* sources(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first source whose built file is missing or older than it, or undefined when the build is current. */
function staleSource() {
  const config = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
  const outDir = path.join(root, config.compilerOptions.outDir);
  const rootDir = path.join(root, config.compilerOptions.rootDir ?? '.');
  for (const dir of config.include) {
    for (const file of sources(path.join(root, dir))) {
      const built = mtime(path.join(outDir, path.relative(rootDir, file)).replace(/\.ts$/, '.js'));
      if (built === undefined || mtime(file) > built) return file;
    }
  }
  return undefined;
}

const stale = staleSource();
if (stale) {
  process.stderr.write(`building: ${path.relative(root, stale)} is newer than its build\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
