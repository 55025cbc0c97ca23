import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { migrationsAfterSquash, ROOT, SQUASH_CUTOFF } from './squawk.ts';

// `npm run lint:sql` through the same script and .squawk.toml, on fixtures outside
// supabase/migrations: the check must reject an unsafe forward migration by rule, and pass a
// safe one and the real migrations after the squash.
const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'squawk');

async function lint(...args: string[]) {
  const res = await execa('tsx', [path.join(ROOT, 'tests', 'lint', 'squawk.ts'), ...args], { cwd: ROOT, preferLocal: true, reject: false });
  return { exitCode: res.exitCode, stdout: String(res.stdout), stderr: String(res.stderr) };
}

async function rulesFor(file: string) {
  const res = await lint('--reporter=json', path.join(FIXTURES, file));
  const found = JSON.parse(res.stdout) as { rule_name: string; file: string }[];
  return { exitCode: res.exitCode, rules: found.map((f) => f.rule_name) };
}

describe('squawk (npm run lint:sql)', () => {
  it('rejects a required column added to a table with rows, and a policy name PostgreSQL would truncate', async () => {
    const { exitCode, rules } = await rulesFor('20270101000000_add_unit_floor_unsafe.sql');
    expect(exitCode).toBe(1);
    expect(rules).toContain('adding-required-field');
    expect(rules).toContain('identifier-too-long');
  });

  it('passes the same change written safely: timeouts set, nullable column, a plain index', async () => {
    expect(await rulesFor('20270101000100_add_unit_floor.sql')).toEqual({ exitCode: 0, rules: [] });
  });

  it('lints exactly the migrations after the squash, and they pass', async () => {
    const all = readdirSync(path.join(ROOT, 'supabase', 'migrations')).filter((f) => f.endsWith('.sql'));
    const after = all.filter((f) => f.slice(0, 14) > SQUASH_CUTOFF).map((f) => path.join('supabase', 'migrations', f));
    expect(migrationsAfterSquash()).toEqual(after.sort());
    // The cut-off is the squash's last migration, so the squashed files stay out of the lint.
    expect(all.filter((f) => f.startsWith(`${SQUASH_CUTOFF}_`))).toHaveLength(1);
    const res = await lint();
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
  });

  it('.ci/run runs it', () => {
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run lint:sql$/m);
  });
});
