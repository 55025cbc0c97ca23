import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createClient } from '@supabase/supabase-js';
import { execa } from 'execa';
import { SignJWT } from 'jose';
import pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { AUDIT_LIST, listAudit } from '../../web/lib/data/audit.ts';
import { LEASE_LIST, listLeases } from '../../web/lib/data/leases.ts';
import { listProperties, PROPERTY_LIST } from '../../web/lib/data/properties.ts';
import { listResidents, RESIDENT_LIST } from '../../web/lib/data/residents.ts';
import { listUnits, UNIT_LIST } from '../../web/lib/data/units.ts';
import { searchEverything } from '../../web/lib/data/search.ts';
import { overviewCounts } from '../../web/lib/data/overview.ts';
import { readTableState } from '../../web/lib/table/state.ts';
import { freePort } from '../setup/test-stack.ts';
import { DEFAULT_DATASET, generateDataset, MARKER } from './generate.ts';
import { percentile, printTable, settle, writeResult, type BenchContext } from './lib.ts';

// The manager app's budgets (issue 18, DESIGN.md "Speed is design"):
//  - first-load JavaScript of /app (and /portal), gzipped, as a browser downloads it after
//    sign-in from the production build (adapter-node): budgets 150 KB and 100 KB;
//  - p95 of each list page's queries for the 5,000-unit org, sent through /rest/v1 by the same
//    web/lib/data functions the pages call, as a manager of that org under RLS.

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const WARMUP = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function firstLoadJs(stack: Record<string, string>): Promise<Record<string, string | number>[]> {
  const env = { ...process.env, PUBLIC_SUPABASE_URL: stack.API_URL!, PUBLIC_SUPABASE_ANON_KEY: stack.ANON_KEY! };
  await execa('vite', ['build', '--logLevel', 'error'], { cwd: PROJECT_ROOT, preferLocal: true, env });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['build'], { cwd: PROJECT_ROOT, env: { ...env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: origin }, stdio: 'ignore' });
  let browser: Browser | undefined;
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(origin).then((r) => r.ok).catch(() => false)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'] });
    const rows: Record<string, string | number>[] = [];
    for (const [path, email, budgetKb] of [
      ['/app', 'manager@acme.test', 150],
      ['/portal', 'resident@acme.test', 100],
    ] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/sign-in`);
      const form = page.getByRole('tabpanel', { name: 'Password' });
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Password').fill('lintel-demo-password');
      await form.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(new RegExp(`${path}$`));
      // A fresh page load of the signed-in home, nothing cached: every script it fetches.
      const fresh = await context.newPage();
      await fresh.route('**/*', (route) => route.continue());
      const scripts = new Map<string, number>();
      fresh.on('response', async (res) => {
        if (res.request().resourceType() !== 'script' && !res.url().endsWith('.js')) return;
        if (!res.url().startsWith(origin)) return;
        try {
          scripts.set(res.url(), gzipSync(await res.body(), { level: 9 }).length);
        } catch {
          // a response without a body (redirect)
        }
      });
      await fresh.goto(`${origin}${path}`, { waitUntil: 'networkidle' });
      const kb = [...scripts.values()].reduce((a, b) => a + b, 0) / 1024;
      rows.push({ page: path, scripts: scripts.size, gzipped_kb: Math.round(kb * 10) / 10, budget_kb: budgetKb, within: kb <= budgetKb ? 'yes' : 'NO' });
      await context.close();
    }
    return rows;
  } finally {
    await browser?.close();
    server.kill('SIGTERM');
  }
}

async function listQueries(stack: Record<string, string>): Promise<Record<string, string | number>[]> {
  await generateDataset(stack.DB_URL!, DEFAULT_DATASET);
  const admin = new pg.Client({ connectionString: stack.DB_URL });
  await admin.connect();
  let orgId: string;
  try {
    orgId = (await admin.query<{ id: string }>('select id from public.organizations where slug = $1', [MARKER])).rows[0]!.id;
    await settle(admin);
  } finally {
    await admin.end();
  }
  const token = await new SignJWT({ aud: 'authenticated', role: 'authenticated', sub: crypto.randomUUID(), org_id: orgId, org_role: 'manager', session_id: crypto.randomUUID(), aal: 'aal1', is_anonymous: false })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(stack.JWT_SECRET!));
  const client = createClient(stack.API_URL!, stack.ANON_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
  const view = (query: string, list: Parameters<typeof readTableState>[1]) => readTableState(new URLSearchParams(query), list);
  const c = client as never;
  // Each list page's first view, a sort the planner must order another way, a deep page, and a
  // search: the queries a manager of the 5,000-unit org sends, as the pages send them.
  const cases: [string, () => Promise<unknown>][] = [
    ['overview figures', () => overviewCounts(c, orgId, true)],
    ['properties: first page', () => listProperties(c, orgId, view('', PROPERTY_LIST))],
    ['properties: by occupancy, page 3', () => listProperties(c, orgId, view('sort=occupied_count&dir=desc&page=3&size=25', PROPERTY_LIST))],
    ['properties: search', () => listProperties(c, orgId, view('q=Property%201', PROPERTY_LIST))],
    ['units: first page', () => listUnits(c, orgId, view('', UNIT_LIST))],
    ['units: vacant, by market rent', () => listUnits(c, orgId, view('status=vacant&sort=market_rent_minor&dir=desc', UNIT_LIST))],
    ['units: page 40', () => listUnits(c, orgId, view('page=40', UNIT_LIST))],
    ['units: search', () => listUnits(c, orgId, view('q=Unit%2012', UNIT_LIST))],
    ['residents: first page', () => listResidents(c, orgId, view('', RESIDENT_LIST))],
    ['residents: by balance', () => listResidents(c, orgId, view('sort=balance_minor&dir=desc', RESIDENT_LIST))],
    ['residents: search', () => listResidents(c, orgId, view('q=Resident%2012', RESIDENT_LIST))],
    ['leases: first page', () => listLeases(c, orgId, view('', LEASE_LIST))],
    ['leases: active, by balance', () => listLeases(c, orgId, view('status=active&sort=balance_minor&dir=desc', LEASE_LIST))],
    ['leases: search', () => listLeases(c, orgId, view('q=Unit%2012', LEASE_LIST))],
    ['audit log: first page', () => listAudit(c, orgId, view('', AUDIT_LIST), 'UTC')],
    ['global search', () => searchEverything(c, orgId, 'Unit 12', { residents: true, finance: true })],
  ];
  const rows: Record<string, string | number>[] = [];
  for (const [name, run] of cases) {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const t0 = performance.now();
      await run();
      if (i >= WARMUP) times.push(performance.now() - t0);
    }
    rows.push({ query: name, samples: times.length, p50_ms: Math.round(percentile(times, 50) * 10) / 10, p95_ms: Math.round(percentile(times, 95) * 10) / 10 });
  }
  return rows;
}

export default async function bench({ stack }: BenchContext): Promise<void> {
  const js = await firstLoadJs(stack);
  printTable('First-load JavaScript after sign-in (production build, gzip -9)', js);
  const lists = await listQueries(stack);
  printTable(`List pages of the ${DEFAULT_DATASET.largeUnits}-unit org through /rest/v1 (one request after another)`, lists);
  writeResult('web', { firstLoad: js, lists });
}
