import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, stack } from '../setup/clients.ts';
import { userToken } from './rest-fixture.ts';

// Generated bad input against /rest/v1: malformed filters and selects, unknown columns and
// functions, huge ranges, invalid JSON, SQL-looking strings, deep nesting. Every answer must be
// below 500 with a JSON error body when it is an error, and none may carry the other org's rows.
const TOTAL = 10_000;
const CONCURRENCY = 32;
const ORG_A = '00000000-0000-4000-f000-00000000000a';
const ORG_B = '00000000-0000-4000-f000-00000000000b';
const SECRET = 'ORGB-SECRET-MARKER';

const FIXTURE = `
drop table if exists public.rest_f_notes, public.rest_f_orgs cascade;
drop function if exists public.rest_f_search(text), public.rest_f_sum(int, int) cascade;
create table public.rest_f_orgs (id uuid primary key, name text not null);
create table public.rest_f_notes (
  id serial primary key, org_id uuid not null references public.rest_f_orgs(id), body text not null,
  n int not null default 0, tags text[] not null default '{}', meta jsonb, at timestamptz not null default now(), span int4range
);
alter table public.rest_f_orgs enable row level security;
create policy "rest_f_orgs: staff can select own org" on public.rest_f_orgs for select to authenticated
  using (id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
alter table public.rest_f_notes enable row level security;
create policy "rest_f_notes: staff can select own org" on public.rest_f_notes for select to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_f_notes: staff can insert own org" on public.rest_f_notes for insert to authenticated
  with check (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_f_notes: staff can update own org" on public.rest_f_notes for update to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_f_notes: staff can delete own org" on public.rest_f_notes for delete to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create function public.rest_f_search(q text) returns setof public.rest_f_notes language sql stable as $$
  select * from public.rest_f_notes where body ilike '%' || q || '%' $$;
create function public.rest_f_sum(a int, b int) returns int language sql immutable as $$ select a + b $$;
insert into public.rest_f_orgs values ('${ORG_A}', 'A org'), ('${ORG_B}', '${SECRET} org');
insert into public.rest_f_notes (org_id, body, n, tags, meta, span)
  select case when i % 2 = 0 then '${ORG_A}'::uuid else '${ORG_B}'::uuid end,
         case when i % 2 = 0 then 'note ' || i else '${SECRET} ' || i end, i, array['t' || (i % 3)], jsonb_build_object('k', i), int4range(i, i + 3)
  from generate_series(1, 40) i;
`;

/** Small deterministic PRNG so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick, int: (n: number) => Math.floor(next() * n) };
}

const COLS = ['id', 'org_id', 'body', 'n', 'tags', 'meta', 'at', 'span', 'nope', 'meta->k', 'meta->>k', 'meta->x->>y', '"body"', 'id;drop table x', 'n::text', '*', ''];
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct', 'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'fts', 'plfts', 'phfts', 'wfts', 'eq(any)', 'like(all)', 'fts(english)', 'fts(nolang)', 'zz', ''];
const VALUES = [
  '1', '-1', '0', '999999999999999999999', 'abc', "' or 1=1 --", '"; drop table rest_f_notes; --', '(1,2,3)', '()', '(', '{1,2}', '{', '[1,5)', '[5,1)', 'null',
  'not_null', 'true', 'unknown', '%', '*a*', '\\', '{"a":1}', '2020-01-01', 'not-a-date', '\u00e9\u00e8', 'a,b', '"quoted,comma"', '1e309', 'NaN', ORG_B, '$1', '%00',
];
const SELECTS = [
  '*', 'id,body', 'id,rest_f_orgs(name)', 'id,rest_f_orgs!inner(*)', 'nope', 'id,', ',', '(', ')', 'id(', 'rest_f_orgs(', '...rest_f_orgs(name)', 'a:id,b:body::int',
  'body::nosuchtype', 'id::int;select 1', 'meta->k->>z', 'count()', 'n.sum()', 'rest_f_orgs(*,rest_f_notes(*))', 'x:rest_f_orgs!bad_hint(*)', 'rest_f_nothing(*)', '"weird col"',
  'id,rest_f_orgs(name)&rest_f_orgs.name=eq.x',
];
const ACCEPTS = ['application/json', 'application/vnd.pgrst.object+json', 'text/csv', 'application/xml', '*/*', 'application/vnd.pgrst.plan+json', 'text/plain', ''];
const PREFERS = ['count=exact', 'count=planned', 'count=estimated', 'return=representation', 'return=minimal', 'handling=strict, bogus=1', 'max-affected=0, handling=strict', 'tx=rollback', 'resolution=merge-duplicates', 'missing=default', ''];

/** A logic tree; deep ones are a single chain so the URL stays within header limits. */
function nested(r: ReturnType<typeof rng>, depth: number): string {
  if (depth <= 0) return `${r.pick(COLS)}.${r.pick(OPS)}.${r.pick(VALUES)}`;
  const width = depth > 4 ? 1 : 1 + r.int(3);
  const kids = Array.from({ length: width }, () => (depth > 4 || r.next() < 0.5 ? nested(r, depth - 1) : `${r.pick(COLS)}.${r.pick(OPS)}.${r.pick(VALUES)}`));
  return `${r.pick(['and', 'or', 'not.and', 'not.or'])}(${kids.join(',')})`;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function generate(r: ReturnType<typeof rng>, token: string, anonKey: string): Case {
  const headers: Record<string, string> = { apikey: anonKey, authorization: `Bearer ${token}` };
  const params: string[] = [];
  const kind = r.int(10);
  let method = 'GET';
  let path = '/rest_f_notes';
  let body: string | undefined;
  if (r.next() < 0.6) params.push(`select=${encodeURIComponent(r.pick(SELECTS))}`);
  for (let i = r.int(4); i > 0; i--) params.push(`${encodeURIComponent(r.pick(COLS))}=${encodeURIComponent(`${r.next() < 0.2 ? 'not.' : ''}${r.pick(OPS)}.${r.pick(VALUES)}`)}`);
  if (r.next() < 0.3) params.push(`or=${encodeURIComponent(`(${nested(r, r.int(r.next() < 0.1 ? 60 : 4)).replace(/^(and|or|not\.and|not\.or)\(/, '').replace(/\)$/, '')})`)}`);
  if (r.next() < 0.3) params.push(`order=${encodeURIComponent(r.pick(['id.desc', 'body.asc.nullsfirst', 'nope', 'id.sideways', 'meta->k.desc', 'rest_f_orgs(name)', '', 'id.desc.desc']))}`);
  if (r.next() < 0.3) params.push(`limit=${r.pick(['0', '1', '-5', '1e9', 'abc', '999999999999999999', '10'])}`);
  if (r.next() < 0.2) params.push(`offset=${r.pick(['0', '5', '-1', 'x', '99999999999'])}`);
  if (r.next() < 0.2) headers.range = r.pick(['0-9', '5-2', '0-', 'items=1-3', 'bogus', '999999999999999999-9999999999999999999']);
  if (r.next() < 0.3) headers.accept = r.pick(ACCEPTS);
  if (r.next() < 0.3) headers.prefer = r.pick(PREFERS);
  if (r.next() < 0.05) headers['accept-profile'] = r.pick(['public', 'private', 'auth', 'x"y']);
  if (r.next() < 0.05) headers.authorization = r.pick(['Bearer ', 'Bearer a.b.c', 'Basic abc', `Bearer ${token}x`, 'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.']);
  if (kind >= 6) {
    method = r.pick(['POST', 'PATCH', 'DELETE', 'PUT']);
    headers['content-type'] = r.pick(['application/json', 'application/json', 'text/csv', 'text/plain', 'application/x-www-form-urlencoded']);
    const deep = (d: number): string => (d ? `{"a":${deep(d - 1)}}` : '1');
    body = r.pick([
      '{', '[', '{"body":"x"}', `{"org_id":"${ORG_B}","body":"planted"}`, '{"body":1,"n":"many"}', '[{"body":"a"},{"n":2}]', '{"nope":1}', 'null', '"str"', '42',
      deep(200), `[${Array.from({ length: 50 }, () => '{"body":"bulk"}').join(',')}]`, '{"tags":"notarray"}', '{"meta":{"deep":[1,2,{"x":null}]}}', '{"span":"[3,1)"}',
      "{\"body\":\"'); drop table rest_f_notes; --\"}", '',
    ]);
  }
  if (kind === 5) {
    path = `/rpc/${r.pick(['rest_f_search', 'rest_f_sum', 'rest_f_nothing', 'pg_sleep', 'rest_f_search;select'])}`;
    if (r.next() < 0.5) {
      method = 'POST';
      headers['content-type'] = 'application/json';
      body = r.pick(['{"q":"note"}', '{"q":1}', '{"a":1,"b":"x"}', '{"a":1}', '{', '{"a":1,"b":2,"c":3}', `{"q":"${SECRET}"}`, '[]']);
    } else params.push(r.pick(['q=note', 'a=1&b=2', 'a=x&b=2', 'q=%25', `q=${SECRET}`]));
  }
  if (kind === 4) path = r.pick(['/rest_f_orgs', '/rest_f_nothing', '/', '/rpc', '/a/b/c', '/%E0%A4%A', '/rest_f_notes%00']);
  return { method, path: `${path}${params.length ? `?${params.join('&')}` : ''}`, headers, body };
}

let client: pg.Client;

beforeAll(async () => {
  client = await db();
  await client.query(FIXTURE);
  await client.query("notify pgrst, 'reload schema'");
  const s = stack();
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${s.API_URL}/rest/v1/rest_f_notes?limit=0`, { headers: { apikey: s.SERVICE_ROLE_KEY!, authorization: `Bearer ${s.SERVICE_ROLE_KEY}` } });
    if (res.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await client.query('drop table if exists public.rest_f_notes, public.rest_f_orgs cascade; drop function if exists public.rest_f_search(text), public.rest_f_sum(int, int) cascade;');
  await client.end();
});

describe('/rest/v1 under generated bad input', () => {
  it(`answers ${TOTAL} generated requests without a 5xx or another org's rows`, { timeout: 120_000 }, async () => {
    const s = stack();
    const token = await userToken({ sub: '00000000-0000-4000-f000-0000000000aa', org_id: ORG_A, org_role: 'manager' });
    const r = rng(20261124);
    const cases = Array.from({ length: TOTAL }, () => generate(r, token, s.ANON_KEY!));
    const problems: string[] = [];
    let next = 0;
    let errors4xx = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        let res: Response;
        try {
          res = await fetch(`${s.API_URL}/rest/v1${c.path}`, { method: c.method, headers: c.headers, body: c.body });
        } catch (err) {
          problems.push(`${c.method} ${c.path}: transport ${(err as Error).message}`);
          continue;
        }
        const text = await res.text();
        if (res.status >= 500) problems.push(`${c.method} ${c.path} ${JSON.stringify(c.headers)} ${c.body?.slice(0, 80)} → ${res.status} ${text.slice(0, 200)}`);
        else if (res.status >= 400) {
          errors4xx++;
          let body: { code?: unknown; message?: unknown } | undefined;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if (typeof body?.message !== 'string' || (body.code === undefined && res.status !== 404)) problems.push(`${c.method} ${c.path} → ${res.status} without a JSON error: ${text.slice(0, 120)}`);
        }
        if (text.includes(SECRET)) problems.push(`${c.method} ${c.path} → ${res.status} leaked the other org: ${text.slice(0, 120)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(problems.slice(0, 20)).toEqual([]);
    expect(errors4xx).toBeGreaterThan(TOTAL / 3); // the generator mostly produces bad input
    const health = await fetch(`${s.API_URL}/health`);
    expect(health.status).toBe(200);
    const { rows } = await client.query(`select count(*)::int as n from public.rest_f_notes where org_id = '${ORG_B}' and body like '${SECRET}%'`);
    expect(rows[0].n).toBe(20); // the other org's rows are untouched
  });
});
