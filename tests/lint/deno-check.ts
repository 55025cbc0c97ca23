import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

// `npm run lint:functions`: `deno check` over every edge function, with edge-functions/deno.json.
// The edge runtime strips types without checking them, so a wrong type in a function would only
// show when a test happened to take that path. `tsx tests/lint/deno-check.ts [file ...]` checks
// the given entry points instead (tests/lint/deno-check.test.ts runs its fixture through here).

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FUNCTIONS = path.join(ROOT, 'edge-functions');

/** Every function's entry point (edge-functions/<name>/index.ts; `_shared` is reached from them). */
export function functionEntries(): string[] {
  return readdirSync(FUNCTIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'node_modules')
    .map((d) => path.join(FUNCTIONS, d.name, 'index.ts'))
    .filter((f) => existsSync(f))
    .sort();
}

/** Runs `deno check` with the functions' config and the stacks' module cache. */
export async function denoCheck(files: string[]): Promise<{ exitCode: number; output: string }> {
  const res = await execa(path.join(ROOT, 'node_modules', '.bin', 'deno'), ['check', '--quiet', '--config', path.join(FUNCTIONS, 'deno.json'), ...files], {
    cwd: FUNCTIONS,
    env: { DENO_DIR: process.env.DENO_DIR ?? path.join(ROOT, '.lintel', 'deno-cache'), NO_COLOR: '1' },
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  return { exitCode: res.exitCode ?? 1, output: String(res.all ?? '') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const given = process.argv.slice(2);
  const files = given.length ? given.map((f) => path.resolve(f)) : functionEntries();
  const res = await denoCheck(files);
  process.stdout.write(res.output ? `${res.output}\n` : '');
  if (res.exitCode === 0) process.stdout.write(`deno check: ${files.length} function(s) pass.\n`);
  process.exit(res.exitCode);
}
