import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { denoCheck, functionEntries } from './deno-check.ts';

// `npm run lint:functions`: the edge functions type-check, and the check rejects one that does not.
const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('deno check (npm run lint:functions)', () => {
  it('rejects a function that passes a number where a receipt is expected', async () => {
    const res = await denoCheck([path.join(import.meta.dirname, 'fixtures', 'functions', 'wrong-type', 'index.ts')]);
    expect(res.exitCode).toBe(1);
    expect(res.output).toMatch(/TS2345 \[ERROR\]: Argument of type 'number' is not assignable to parameter of type 'ReceiptTodo'/);
  });

  it('checks every function, and they pass', async () => {
    const dirs = readdirSync(path.join(ROOT, 'edge-functions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'node_modules')
      .map((d) => d.name);
    // Every function folder has its entry point, so none is left out of the check.
    expect(functionEntries().map((f) => path.basename(path.dirname(f)))).toEqual(dirs.sort());
    const res = await denoCheck(functionEntries());
    expect(res.output).toBe('');
    expect(res.exitCode).toBe(0);
  }, 120_000);

  it('.ci/run runs it, and the type check of everything else', () => {
    const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm run lint:functions$/m);
    expect(ci).toMatch(/^npm run check$/m);
  });
});
