import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StackConfig } from '../config.ts';

/** One edge function as the Supabase CLI resolves it from `config.toml` and the folder. */
export interface FunctionDef {
  name: string;
  /** Absolute path of the module that calls `Deno.serve`. */
  entrypoint: string;
  /** Absolute path of the deno.json / import map the function resolves imports with. */
  importMap: string;
  verifyJwt: boolean;
}

/** Where Lintel keeps its functions (ARCHITECTURE.md): `edge-functions/<name>/index.ts`. */
export const functionsDir = (config: StackConfig) => path.join(config.projectRoot, 'edge-functions');

/**
 * The functions the stack serves: every `[functions.<name>]` block of `config.toml` (paths in it
 * are relative to `supabase/`, as the CLI reads them) plus any `edge-functions/<name>/index.ts`
 * not declared there, with the CLI's default `verify_jwt = true`. Folders starting with `_`
 * (`_shared`) are never functions, as in the CLI.
 */
export function loadFunctions(config: StackConfig, dir = functionsDir(config), declared = config.toml.functions): Map<string, FunctionDef> {
  const supabaseDir = path.join(config.projectRoot, 'supabase');
  const defaultImportMap = path.join(functionsDir(config), 'deno.json');
  const defs = new Map<string, FunctionDef>();
  if (declared && typeof declared === 'object') {
    for (const [name, raw] of Object.entries(declared as Record<string, Record<string, unknown>>)) {
      if (raw.enabled === false) continue;
      const entrypoint =
        typeof raw.entrypoint === 'string' ? path.resolve(supabaseDir, raw.entrypoint) : path.join(dir, name, 'index.ts');
      defs.set(name, {
        name,
        entrypoint,
        importMap: typeof raw.import_map === 'string' ? path.resolve(supabaseDir, raw.import_map) : defaultImportMap,
        verifyJwt: raw.verify_jwt !== false,
      });
    }
  }
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.') || defs.has(entry.name)) continue;
      if (entry.name === 'node_modules') continue;
      const entrypoint = path.join(dir, entry.name, 'index.ts');
      if (existsSync(entrypoint)) {
        defs.set(entry.name, { name: entry.name, entrypoint, importMap: defaultImportMap, verifyJwt: true });
      }
    }
  }
  return defs;
}

/**
 * Secrets as `supabase functions serve` reads them: `KEY=value` lines, `#` comments, optional
 * quotes, `export ` prefix. The CLI reads `supabase/functions/.env`; Lintel's functions live in
 * `edge-functions/`, so its `.env` is read too (both git-ignored).
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}

/** Secrets from the env files, later files winning; a missing file is no error. */
export function loadSecrets(files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    if (existsSync(file)) Object.assign(out, parseEnvFile(readFileSync(file, 'utf8')));
  }
  return out;
}
