/** Starting the client does not recompile: `npm run chat` builds only when a source is newer than dist. */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const STALE_CHECK = path.join(ROOT, 'scripts/build-if-stale.mjs');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

describe('starting without recompiling', () => {
  it('npm run chat starts from dist as it is when dist is current', async () => {
    const main = path.join(ROOT, 'dist/client/main.js');
    const before = statSync(main).mtimeMs;
    const { stdout } = await run('npm', ['run', '--silent', 'chat', '--', '--help'], { cwd: ROOT });
    expect(stdout).toContain('Usage: chat');
    expect(statSync(main).mtimeMs).toBe(before);
  });

  it('builds a project only when a source is newer than its output, or has none', async () => {
    const dir = makeTempDir('chat-stale-');
    dirs.push(dir);
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ES2022', outDir: 'dist', rootDir: '.', types: [] },
      include: ['src'],
    }));
    const source = path.join(dir, 'src/a.ts');
    const built = path.join(dir, 'dist/src/a.js');
    writeFileSync(source, 'export const a: number = 1;\n');
    const check = () => run(process.execPath, [STALE_CHECK], { cwd: dir });

    const first = await check();
    expect(first.stderr).toContain('building: src/a.ts is newer than its build');
    const firstBuild = statSync(built).mtimeMs;

    const second = await check();
    expect(second.stderr).toBe('');
    expect(statSync(built).mtimeMs).toBe(firstBuild);

    writeFileSync(source, 'export const a: number = 2;\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(source, later, later);
    const third = await check();
    expect(third.stderr).toContain('building: src/a.ts');
    expect(statSync(built).mtimeMs).toBeGreaterThan(firstBuild);
  });

  it('fails when the build fails', async () => {
    const dir = makeTempDir('chat-stale-');
    dirs.push(dir);
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: '.', types: [] }, include: ['src'] }));
    writeFileSync(path.join(dir, 'src/bad.ts'), 'export const a: number = "not a number";\n');
    await expect(run(process.execPath, [STALE_CHECK], { cwd: dir })).rejects.toMatchObject({ code: 2 });
  });
});
