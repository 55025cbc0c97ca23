import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonClient, db, serviceClient, stack } from '../setup/clients.ts';
import { dropFixture, loadFixture, ORG_A, ORG_B, userToken, waitForTable } from './rest-fixture.ts';

const NO_PERSIST = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
const local = () => stack().REAL_SUPABASE !== 'true';

function userClient(token: string): SupabaseClient {
  const s = stack();
  return createClient(s.API_URL!, s.ANON_KEY!, { ...NO_PERSIST, realtime: { transport: WebSocket as never }, global: { headers: { Authorization: `Bearer ${token}` } } });
}

/** Raw HTTP for what supabase-js cannot express (headers, malformed input). */
async function raw(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const s = stack();
  const headers = new Headers(init.headers);
  if (!headers.has('apikey') && init.key !== '') headers.set('apikey', init.key ?? s.ANON_KEY!);
  return fetch(`${s.API_URL}/rest/v1${path}`, { ...init, headers });
}

let client: pg.Client;
let managerA: SupabaseClient;
let managerB: SupabaseClient;
let tokenA: string;

/** Sets PostgREST's in-database configuration and waits until /rest/v1 has reloaded it. */
async function setConfig(sql: string, probe: () => Promise<boolean>): Promise<void> {
  await client.query(sql);
  await client.query("notify pgrst, 'reload config'");
  for (let i = 0; i < 100 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 100));
}

beforeAll(async () => {
  client = await db();
  await loadFixture(client);
  tokenA = await userToken({ sub: '00000000-0000-4000-b000-00000000000a', org_id: ORG_A, org_role: 'manager' });
  managerA = userClient(tokenA);
  managerB = userClient(await userToken({ sub: '00000000-0000-4000-b000-00000000000b', org_id: ORG_B, org_role: 'manager' }));
});

afterAll(async () => {
  await dropFixture(client);
  await client.end();
});

describe('auth, role and request settings', () => {
  it('serves a request with neither apikey nor Authorization as anon, with claims {role: anon}', async () => {
    const res = await raw('/rpc/rest_t_whoami', { key: '' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.role).toBe('anon');
    expect(body.claims).toEqual({ role: 'anon' });
  });

  it('sets role, claims, method, path, headers and cookies as PostgREST does, read-only for GET', async () => {
    const res = await raw('/rpc/rest_t_whoami', { headers: { authorization: `Bearer ${tokenA}`, cookie: 'a=1; b=two', 'x-trace': 'abc' } });
    const body = await res.json();
    expect(body.role).toBe('authenticated');
    expect(body.claims).toMatchObject({ org_id: ORG_A, role: 'authenticated', aud: 'authenticated' });
    expect(body.method).toBe('GET');
    expect(body.path).toBe('/rpc/rest_t_whoami');
    expect(body.headers['x-trace']).toBe('abc');
    expect(body.cookies).toEqual({ a: '1', b: 'two' });
    expect(body.read_only).toBe('on');
    const post = await (await raw('/rpc/rest_t_whoami', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    expect(post.method).toBe('POST');
    expect(post.read_only).toBe('on'); // stable function: read-only even on POST
  });

  it('keeps one request\'s session settings away from the next on a pooled connection', async () => {
    const svc = serviceClient();
    await Promise.all(Array.from({ length: 12 }, () => svc.rpc('rest_t_leak')));
    const seen = await Promise.all(Array.from({ length: 30 }, () => svc.rpc('rest_t_peek')));
    expect(seen.map((r) => r.data)).toEqual(Array(30).fill(''));
  });

  it('applies the per-role statement_timeout Supabase sets', async () => {
    const { data: anon } = await anonClient().rpc('rest_t_settings');
    expect(anon).toEqual({ statement_timeout: '3s' });
    const { data: user } = await managerA.rpc('rest_t_settings');
    expect(user).toEqual({ statement_timeout: '8s' });
  });

  it('applies a called function\'s own statement_timeout to the request, as PostgREST hoists it', async () => {
    // Postgres alone would set it only inside the function, after the role's 8 s started counting.
    await client.query(`create function public.rest_t_hasty() returns void language sql set statement_timeout = '300ms' as $$ select pg_sleep(1) $$;
      grant execute on function public.rest_t_hasty() to authenticated; notify pgrst, 'reload schema'`);
    try {
      let res = await managerA.rpc('rest_t_hasty');
      for (let i = 0; i < 50 && res.error?.code === 'PGRST202'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await managerA.rpc('rest_t_hasty');
      }
      expect(res.error?.code).toBe('57014');
      expect((await managerA.rpc('rest_t_settings')).data).toEqual({ statement_timeout: '8s' });
    } finally {
      await client.query(`drop function public.rest_t_hasty(); notify pgrst, 'reload schema'`);
    }
  });

  it('rejects an expired token with 401 PGRST303 and WWW-Authenticate', async () => {
    const expired = await userToken({ sub: 'x' }, { expiresIn: -60 });
    const res = await raw('/rest_t_orgs', { headers: { authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);
    expect(res.statusText).toBe('Unauthorized');
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await res.json()).toEqual({ code: 'PGRST303', details: null, hint: null, message: 'JWT expired' });
  });

  it('rejects a wrongly signed token and alg:none with 401 PGRST301', async () => {
    const forged = await userToken({ sub: 'x', role: 'service_role' }, { secret: 'not-the-project-secret-not-the-project-secret' });
    const res = await raw('/rest_t_orgs', { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe('PGRST301');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`;
    const res2 = await raw('/rest_t_orgs', { headers: { authorization: `Bearer ${none}` } });
    expect(res2.status).toBe(401);
    expect((await res2.json()).code).toBe('PGRST301');
    const garbage = await raw('/rest_t_orgs', { headers: { authorization: 'Bearer abc' } });
    expect(garbage.status).toBe(401);
    expect(await garbage.json()).toMatchObject({ code: 'PGRST301', message: 'Expected 3 parts in JWT; got 1' });
  });

  it('treats the publishable key as anon and the secret key as service_role', async () => {
    if (!local()) return;
    const s = stack();
    const pub = await (await raw('/rpc/rest_t_whoami', { key: s.PUBLISHABLE_KEY })).json();
    expect(pub.role).toBe('anon');
    const sec = await (await raw('/rpc/rest_t_whoami', { key: s.SECRET_KEY })).json();
    expect(sec.role).toBe('service_role');
  });
});

describe('reads and filters', () => {
  const svc = () => serviceClient();

  it('selects columns, aliases, casts and JSON paths', async () => {
    const { data, error } = await svc()
      .from('rest_t_items')
      .select('id, name:title, qty::text, color:meta->>color, width:meta->size->w')
      .eq('code', 'A-1')
      .single();
    expect(error).toBeNull();
    expect(data).toEqual({ id: 1, name: 'alpha hammer', qty: '5', color: 'red', width: 2 });
  });

  it.each([
    ['eq', (q: any) => q.eq('qty', 5), ['A-1']],
    ['neq', (q: any) => q.neq('qty', 5), ['A-2', 'A-3', 'B-1']],
    ['gt/lte', (q: any) => q.gt('qty', 0).lte('qty', 5), ['A-1', 'B-1']],
    ['gte/lt', (q: any) => q.gte('qty', 5).lt('qty', 100), ['A-1']],
    ['like', (q: any) => q.like('title', 'alpha%'), ['A-1', 'A-2', 'A-3']],
    ['ilike', (q: any) => q.ilike('title', '%HAMMER'), ['A-1']],
    ['match', (q: any) => q.match({ qty: 0, title: 'alpha glue' }), ['A-3']],
    ['regex match', (q: any) => q.filter('title', 'match', '^beta'), ['B-1']],
    ['regex imatch', (q: any) => q.filter('title', 'imatch', '^BETA'), ['B-1']],
    ['in', (q: any) => q.in('code', ['A-1', 'B-1', 'x,y']), ['A-1', 'B-1']],
    ['is null', (q: any) => q.is('price', null), ['A-3']],
    ['not is null', (q: any) => q.not('price', 'is', null), ['A-1', 'A-2', 'B-1']],
    ['isdistinct', (q: any) => q.filter('owner_id', 'isdistinct', 1), ['A-2', 'A-3', 'B-1']],
    ['contains array', (q: any) => q.contains('tags', ['metal']), ['A-1', 'A-2']],
    ['containedBy array', (q: any) => q.containedBy('tags', ['metal', 'tool']), ['A-1', 'A-2', 'A-3']],
    ['overlaps array', (q: any) => q.overlaps('tags', ['paper', 'tool']), ['A-1', 'B-1']],
    ['contains jsonb', (q: any) => q.contains('meta', { color: 'red' }), ['A-1']],
    ['range sl', (q: any) => q.rangeLt('during', '[6,7)'), ['A-1', 'B-1']],
    ['range sr', (q: any) => q.rangeGt('during', '[3,4)'), ['A-2']],
    ['range nxl', (q: any) => q.rangeGte('during', '[2,4)'), ['A-2', 'B-1']],
    ['range nxr', (q: any) => q.rangeLte('during', '[2,4)'), ['B-1']],
    ['range adj', (q: any) => q.rangeAdjacent('during', '[10,12)'), ['A-2']],
    ['fts', (q: any) => q.textSearch('doc', 'hammer', { config: 'english' }), ['A-1']],
    ['plfts', (q: any) => q.textSearch('doc', 'secret plan', { type: 'plain', config: 'english' }), ['B-1']],
    ['phfts', (q: any) => q.textSearch('doc', 'secret plan', { type: 'phrase', config: 'english' }), ['B-1']],
    ['wfts', (q: any) => q.textSearch('doc', '"small nails" or glue', { type: 'websearch', config: 'english' }), ['A-2', 'A-3']],
    ['or with nested and', (q: any) => q.or('code.eq.B-1,and(qty.gt.1,qty.lt.10)'), ['A-1', 'B-1']],
    // PostgREST unquotes a logic tree's value (pLogicSingleVal): reserved , . ( ) stay literal and
    // a backslash escapes; * is still like's wildcard, and \\% a literal percent.
    ['or with quoted values', (q: any) => q.or('title.ilike."*HAMMER*",code.eq."B-1",title.eq."a,b.(c)"'), ['A-1', 'B-1']],
    ['or with an escaped quote in a quoted value', (q: any) => q.or('title.eq."say \\"hi\\"",code.eq."A-3"'), ['A-3']],
    ['not', (q: any) => q.not('code', 'in', '(A-1,A-2)'), ['A-3', 'B-1']],
    ['like any', (q: any) => q.likeAnyOf('title', ['%glue', '%plan']), ['A-3', 'B-1']],
    ['like all', (q: any) => q.likeAllOf('title', ['alpha%', '%s']), ['A-2']],
    ['eq any (raw modifier)', (q: any) => q.filter('qty', 'eq(any)', '{0,1}'), ['A-3', 'B-1']],
  ])('filter %s', async (_name, apply, expected) => {
    const { data, error } = await apply(svc().from('rest_t_items').select('code')).order('code');
    expect(error).toBeNull();
    expect((data as { code: string }[]).map((r) => r.code)).toEqual(expected);
  });

  it('orders with nullsfirst / nullslast and pages with limit / offset', async () => {
    const { data } = await svc().from('rest_t_items').select('code').order('price', { ascending: false, nullsFirst: true }).range(0, 1);
    expect(data).toEqual([{ code: 'A-3' }, { code: 'B-1' }]);
    const { data: last } = await svc().from('rest_t_items').select('code').order('price', { ascending: true, nullsFirst: false }).limit(1).range(3, 3);
    expect(last).toEqual([{ code: 'A-3' }]);
  });

  it('counts exactly with Content-Range and 206 for a partial page', async () => {
    const { count, status, statusText, data } = await svc().from('rest_t_items').select('code', { count: 'exact' }).order('code').range(1, 2);
    expect(count).toBe(4);
    expect(status).toBe(206);
    expect(statusText).toBe('Partial Content');
    expect(data).toEqual([{ code: 'A-2' }, { code: 'A-3' }]);
    const head = await raw('/rest_t_items?select=code', { method: 'HEAD', key: stack().SERVICE_ROLE_KEY, headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, prefer: 'count=exact' } });
    expect(head.headers.get('content-range')).toBe('0-3/4');
    const planned = await svc().from('rest_t_items').select('*', { count: 'planned', head: true });
    expect(typeof planned.count).toBe('number');
    const estimated = await svc().from('rest_t_items').select('*', { count: 'estimated', head: true });
    expect(estimated.count).toBe(4);
  });

  it('exposes Content-Range to a browser (a request with an Origin), as PostgREST’s CORS middleware does', async () => {
    const fromPage = await raw('/rest_t_items?select=code', { headers: { origin: 'http://127.0.0.1:5173', prefer: 'count=exact', authorization: `Bearer ${stack().SERVICE_ROLE_KEY}` }, key: stack().SERVICE_ROLE_KEY });
    const exposed = (fromPage.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['content-range', 'location', 'range-unit']));
    expect(fromPage.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await raw('/rest_t_nothing', { headers: { origin: 'http://127.0.0.1:5173' } });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('access-control-expose-headers')).toContain('Content-Range');
    if (local()) {
      const fromServer = await raw('/rest_t_items?select=code');
      expect(fromServer.headers.get('access-control-expose-headers')).toBeNull();
    }
  });

  it('honours a Range header and refuses an unsatisfiable one with 416 PGRST103', async () => {
    const h = { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, range: '1-2', prefer: 'count=exact' };
    const res = await raw('/rest_t_items?select=code&order=code', { key: stack().SERVICE_ROLE_KEY, headers: h });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('1-2/4');
    const bad = await raw('/rest_t_items?select=code&offset=10', { key: stack().SERVICE_ROLE_KEY, headers: { ...h, range: '' } });
    expect(bad.status).toBe(416);
    expect((await bad.json()).code).toBe('PGRST103');
    const neg = await raw('/rest_t_items?limit=-1', { key: stack().SERVICE_ROLE_KEY });
    expect(neg.status).toBe(416);
  });

  it('caps every read at max_rows from config.toml', async () => {
    const { data } = await svc().from('rest_t_many').select('id');
    expect(data).toHaveLength(1000);
  });

  it('single() answers 406 PGRST116 for 0 or many rows; maybeSingle() gives null for none', async () => {
    const many = await svc().from('rest_t_items').select('code').single();
    expect(many.status).toBe(406);
    expect(many.statusText).toBe('Not Acceptable');
    expect(many.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 4 rows', message: 'Cannot coerce the result to a single JSON object' });
    const none = await svc().from('rest_t_items').select('code').eq('code', 'nope').single();
    expect(none.error?.code).toBe('PGRST116');
    const maybe = await svc().from('rest_t_items').select('code').eq('code', 'nope').maybeSingle();
    expect(maybe.data).toBeNull();
    expect(maybe.error).toBeNull();
  });

  it('answers text/csv', async () => {
    const { data } = await svc().from('rest_t_people').select('id,name').order('id').csv();
    expect(data).toBe('id,name\n1,Ada\n2,Bob\n3,Cy');
  });

  it('switches schema with Accept-Profile and refuses an unexposed one with 406 PGRST106', async () => {
    const bad = await svc().schema('rest_t_nope').from('things').select('*');
    expect(bad.status).toBe(406);
    expect(bad.error?.code).toBe('PGRST106');
  });
});

describe('embedding', () => {
  const svc = () => serviceClient();

  it('embeds many-to-one, one-to-many and many-to-many resources', async () => {
    const { data, error } = await svc()
      .from('rest_t_items')
      .select('code, org:rest_t_orgs(name), owner:rest_t_people(name), rest_t_tags(label), rest_t_tags_items(tag_id)')
      .eq('code', 'A-1')
      .order('label', { referencedTable: 'rest_t_tags' })
      .single();
    expect(error).toBeNull();
    expect(data).toEqual({
      code: 'A-1',
      org: { name: 'Alpha' },
      owner: { name: 'Ada' },
      rest_t_tags: [{ label: 'blue' }, { label: 'red' }],
      rest_t_tags_items: [{ tag_id: 1 }, { tag_id: 2 }],
    });
    const orgs = await svc().from('rest_t_orgs').select('name, rest_t_items(code)').order('name').order('code', { referencedTable: 'rest_t_items', ascending: false }).limit(2, { referencedTable: 'rest_t_items' });
    expect(orgs.data).toEqual([
      { name: 'Alpha', rest_t_items: [{ code: 'A-3' }, { code: 'A-2' }] },
      { name: 'Beta', rest_t_items: [{ code: 'B-1' }] },
    ]);
  });

  it('filters embedded rows, and filters parents with !inner', async () => {
    const left = await svc().from('rest_t_orgs').select('name, rest_t_items(code)').eq('rest_t_items.qty', 1).order('name');
    expect(left.data).toEqual([{ name: 'Alpha', rest_t_items: [] }, { name: 'Beta', rest_t_items: [{ code: 'B-1' }] }]);
    const inner = await svc().from('rest_t_orgs').select('name, rest_t_items!inner(code)').eq('rest_t_items.qty', 1);
    expect(inner.data).toEqual([{ name: 'Beta', rest_t_items: [{ code: 'B-1' }] }]);
    const notNull = await svc().from('rest_t_items').select('code, rest_t_people(name)').not('rest_t_people', 'is', null).order('code');
    expect(notNull.data?.map((r) => r.code)).toEqual(['A-1', 'A-2', 'B-1']);
  });

  it('disambiguates a self-reference with a hint and spreads a to-one embed', async () => {
    const { data } = await svc().from('rest_t_people').select('name, boss:boss_id(name), reports:rest_t_people!boss_id(name)').eq('id', 1).single();
    expect(data).toEqual({ name: 'Ada', boss: null, reports: [{ name: 'Bob' }, { name: 'Cy' }] });
    const spread = await svc().from('rest_t_items').select('code, ...rest_t_orgs(org_name:name)').eq('code', 'B-1').single();
    expect(spread.data).toEqual({ code: 'B-1', org_name: 'Beta' });
  });

  it('answers PGRST200 for an unknown relationship and 300 PGRST201 when ambiguous', async () => {
    const none = await svc().from('rest_t_items').select('*, rest_t_secret(*)');
    expect(none.status).toBe(400);
    expect(none.error?.code).toBe('PGRST200');
    const res = await raw('/rest_t_people?select=*,rest_t_people(*)', { key: stack().SERVICE_ROLE_KEY });
    expect(res.status).toBe(200); // a self-reference by table name means its children
    await client.query('alter table public.rest_t_items add column backup_owner_id int references public.rest_t_people(id)');
    await client.query("notify pgrst, 'reload schema'");
    let amb: Response | undefined;
    for (let i = 0; i < 50; i++) {
      amb = await raw('/rest_t_items?select=*,rest_t_people(*)', { key: stack().SERVICE_ROLE_KEY });
      if (amb.status === 300) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(amb!.status).toBe(300);
    expect(amb!.statusText).toBe('Multiple Choices');
    expect((await amb!.json()).code).toBe('PGRST201');
    await client.query('alter table public.rest_t_items drop column backup_owner_id');
    await client.query("notify pgrst, 'reload schema'");
  });
});

describe('writes', () => {
  const svc = () => serviceClient();

  it('inserts single and bulk rows, with columns= and missing=default', async () => {
    const one = await svc().from('rest_t_people').insert({ name: 'Dee' }).select().single();
    expect(one.status).toBe(201);
    expect(one.statusText).toBe('Created');
    expect(one.data).toMatchObject({ name: 'Dee', boss_id: null });
    const bulk = await svc().from('rest_t_people').insert([{ name: 'Eve', boss_id: 1 }, { name: 'Fay' }], { defaultToNull: false }).select('name, boss_id');
    expect(bulk.data).toEqual([{ name: 'Eve', boss_id: 1 }, { name: 'Fay', boss_id: null }]);
    const minimal = await svc().from('rest_t_people').insert({ name: 'Gus' });
    expect(minimal.status).toBe(201);
    expect(minimal.data).toBeNull();
  });

  it('return=minimal needs no select policy on the written row; asking for it back does (PostgREST writes RETURNING 1)', async () => {
    const minimal = await managerA.from('rest_t_dropbox').insert({ note: 'for the office' });
    expect(minimal.error).toBeNull();
    expect(minimal.status).toBe(201);
    const represent = await managerA.from('rest_t_dropbox').insert({ note: 'and back' }).select();
    expect(represent.status).toBe(403);
    expect(represent.error?.code).toBe('42501');
    const { rows } = await client.query('select note from public.rest_t_dropbox order by id');
    expect(rows.map((r) => r.note)).toEqual(['for the office']);
  });

  it('returns Location with return=headers-only', async () => {
    const res = await raw('/rest_t_people', {
      method: 'POST',
      key: stack().SERVICE_ROLE_KEY,
      headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, 'content-type': 'application/json', prefer: 'return=headers-only' },
      body: JSON.stringify({ name: 'Hal' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/rest_t_people\?id=eq\.\d+$/);
  });

  it('upserts with merge-duplicates and ignore-duplicates on a conflict target', async () => {
    const merged = await svc().from('rest_t_tags').upsert({ id: 1, label: 'crimson' }).select();
    expect(merged.status).toBe(200);
    expect(merged.data).toEqual([{ id: 1, label: 'crimson' }]);
    const ignored = await svc().from('rest_t_tags').upsert({ id: 1, label: 'scarlet' }, { ignoreDuplicates: true }).select();
    expect(ignored.data).toEqual([]);
    const byKey = await svc().from('rest_t_items').upsert({ code: 'A-3', org_id: ORG_A, title: 'alpha glue v2' }, { onConflict: 'code' }).select('code, title');
    expect(byKey.data).toEqual([{ code: 'A-3', title: 'alpha glue v2' }]);
  });

  it('updates and deletes with filters, with and without representation', async () => {
    const upd = await svc().from('rest_t_people').update({ name: 'Gustav' }).eq('name', 'Gus').select('name');
    expect(upd.status).toBe(200);
    expect(upd.data).toEqual([{ name: 'Gustav' }]);
    const quiet = await svc().from('rest_t_people').update({ name: 'Gus' }).eq('name', 'Gustav');
    expect(quiet.status).toBe(204);
    expect(quiet.statusText).toBe('No Content');
    const del = await svc().from('rest_t_people').delete({ count: 'exact' }).eq('name', 'Gus');
    expect(del.status).toBe(204);
    expect(del.count).toBe(1);
  });

  it('enforces max-affected with handling=strict (PGRST124) and rolls back', async () => {
    const res = await raw('/rest_t_people?name=in.(Dee,Eve)', {
      method: 'PATCH',
      key: stack().SERVICE_ROLE_KEY,
      headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, 'content-type': 'application/json', prefer: 'handling=strict, max-affected=1' },
      body: JSON.stringify({ name: 'Zed' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('PGRST124');
    const { count } = await svc().from('rest_t_people').select('*', { count: 'exact', head: true }).eq('name', 'Zed');
    expect(count).toBe(0);
  });

  it('reads every body afresh when the same write is sent again (columns, key order, bad rows, applied preferences)', async () => {
    const key = stack().SERVICE_ROLE_KEY!;
    const send = (method: string, path: string, body: unknown, prefer = 'return=representation') =>
      raw(path, { method, key, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const rows = async (res: Response) => ({ status: res.status, body: await res.json() });
    const boss = (await rows(await send('POST', '/rest_t_people?select=id', { name: 'Boss' }))).body[0].id as number;

    // One URL and one set of headers, different bodies: each answer follows its own body.
    const url = '/rest_t_people?select=name,boss_id';
    expect(await rows(await send('POST', url, { name: 'Ann' }))).toEqual({ status: 201, body: [{ name: 'Ann', boss_id: null }] });
    expect(await rows(await send('POST', url, { name: 'Ben', boss_id: boss }))).toEqual({ status: 201, body: [{ name: 'Ben', boss_id: boss }] });
    expect(await rows(await send('POST', url, { boss_id: boss, name: 'Cid' }))).toEqual({ status: 201, body: [{ name: 'Cid', boss_id: boss }] });
    expect(await rows(await send('POST', url, [{ name: 'Dot' }, { name: 'Eli' }]))).toEqual({ status: 201, body: [{ name: 'Dot', boss_id: null }, { name: 'Eli', boss_id: null }] });
    const mixed = await rows(await send('POST', url, [{ name: 'Fox' }, { boss_id: boss }]));
    expect(mixed).toMatchObject({ status: 400, body: { code: 'PGRST102', message: 'All object keys must match' } });
    expect(await rows(await send('POST', url, { nope: 1 }))).toMatchObject({ status: 400, body: { code: 'PGRST204' } });
    expect(await rows(await send('POST', url, '{"name":'))).toMatchObject({ status: 400, body: { code: 'PGRST102' } });
    expect(await rows(await send('POST', url, { name: null }))).toMatchObject({ status: 400, body: { code: '23502' } });
    const { rows: written } = await client.query("select name from public.rest_t_people where name in ('Ann', 'Ben', 'Cid', 'Dot', 'Eli', 'Fox') order by id");
    expect(written.map((r) => r.name)).toEqual(['Ann', 'Ben', 'Cid', 'Dot', 'Eli']);

    // A preference applied while planning is reported on every answer, not only the first.
    for (const name of ['Gil', 'Hub']) {
      const res = await send('POST', url, { name }, 'return=representation, missing=default');
      expect(res.status).toBe(201);
      expect(res.headers.get('preference-applied')).toContain('missing=default');
    }

    // Updates and deletes: the same URL with other bodies and filters.
    expect(await rows(await send('PATCH', `/rest_t_people?name=eq.Ann&select=name,boss_id`, { boss_id: boss }))).toEqual({ status: 200, body: [{ name: 'Ann', boss_id: boss }] });
    expect(await rows(await send('PATCH', `/rest_t_people?name=eq.Ann&select=name,boss_id`, { name: 'Ann', boss_id: null }))).toEqual({ status: 200, body: [{ name: 'Ann', boss_id: null }] });
    expect(await rows(await send('PATCH', `/rest_t_people?name=eq.Ann&select=name,boss_id`, { nope: 1 }))).toMatchObject({ status: 400, body: { code: 'PGRST204' } });
    for (const name of ['Ann', 'Ben']) {
      expect(await rows(await send('DELETE', `/rest_t_people?name=eq.${name}&select=name`, undefined))).toEqual({ status: 200, body: [{ name }] });
    }
    await client.query("delete from public.rest_t_people where name in ('Cid', 'Dot', 'Eli', 'Gil', 'Hub') or id = $1", [boss]);
  });

  it('rejects unknown columns with PGRST204 and bad JSON with PGRST102', async () => {
    const unknown = await svc().from('rest_t_people').insert({ nope: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.error).toMatchObject({ code: 'PGRST204', message: "Could not find the 'nope' column of 'rest_t_people' in the schema cache" });
    const bad = await raw('/rest_t_people', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('PGRST102');
  });
});

describe('rpc', () => {
  it('calls with named arguments over POST and GET, with defaults', async () => {
    expect((await anonClient().rpc('rest_t_add', { a: 1, b: 2 })).data).toBe(3);
    expect((await anonClient().rpc('rest_t_add', { a: 1 }, { get: true })).data).toBe(11);
  });

  it('passes a whole JSON body to a single unnamed json parameter', async () => {
    const res = await raw('/rpc/rest_t_echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":[1,2]}' });
    expect(await res.json()).toEqual({ x: [1, 2] });
  });

  it('filters, selects and counts set-returning results', async () => {
    const { data, count } = await serviceClient().rpc('rest_t_items_of', { p_org: ORG_A }, { count: 'exact' }).select('code').gt('qty', 0).order('code', { ascending: false });
    expect(data).toEqual([{ code: 'A-2' }, { code: 'A-1' }]);
    expect(count).toBe(2);
    const table = await serviceClient().rpc('rest_t_item_count');
    expect(table.data).toEqual([{ org: ORG_A, n: 3 }, { org: ORG_B, n: 1 }]);
  });

  it('runs a volatile function over GET read-only (405) and over POST', async () => {
    const get = await anonClient().rpc('rest_t_touch', undefined, { get: true });
    expect(get.status).toBe(405);
    expect(get.error?.code).toBe('25006');
    const post = await serviceClient().rpc('rest_t_touch');
    expect(typeof post.data).toBe('number');
  });

  it('answers 404 PGRST202 for an unknown function and 204 for void', async () => {
    const none = await anonClient().rpc('rest_t_nope', { x: 1 });
    expect(none.status).toBe(404);
    expect(none.error?.code).toBe('PGRST202');
  });
});

describe('errors', () => {
  const svc = () => serviceClient();
  it.each([
    ['23505 unique → 409', () => svc().from('rest_t_tags').insert({ id: 2, label: 'dup' }), 409, '23505'],
    ['23503 foreign key → 409', () => svc().from('rest_t_tags_items').insert({ item_id: 1, tag_id: 999 }), 409, '23503'],
    ['23502 not null → 400', () => svc().from('rest_t_people').insert({ name: null }), 400, '23502'],
    ['23514 check → 400', () => svc().from('rest_t_items').update({ qty: -1 }).eq('code', 'A-1'), 400, '23514'],
    ['22P02 bad input → 400', () => svc().from('rest_t_items').select('*').eq('qty', 'many'), 400, '22P02'],
    ['42703 unknown column → 400', () => svc().from('rest_t_items').select('nope'), 400, '42703'],
    ['PGRST205 unknown table → 404', () => svc().from('rest_t_nope').select('*'), 404, 'PGRST205'],
    ['42501 anon → 401', () => anonClient().from('rest_t_secret').select('*'), 401, '42501'],
    ['P0001 raise → 400', () => svc().rpc('rest_t_fail', { p_msg: 'nope' }), 400, 'P0001'],
  ])('%s', async (_n, run, status, code) => {
    const res = await run();
    expect(res.status).toBe(status);
    expect(res.error?.code).toBe(code);
    expect(Object.keys(res.error ?? {}).sort()).toEqual(['code', 'details', 'hint', 'message']);
  });

  it('42501 for a signed-in user is 403, and a raise keeps its detail and hint', async () => {
    const res = await managerA.from('rest_t_secret').select('*');
    expect(res.status).toBe(403);
    expect(res.statusText).toBe('Forbidden');
    const raised = await serviceClient().rpc('rest_t_fail', { p_msg: 'custom' });
    expect(raised.error).toEqual({ code: 'P0001', message: 'custom', details: 'rest test detail', hint: 'rest test hint' });
  });

  it('answers PGRST100 for an unparsable filter and never a stack trace', async () => {
    const res = await raw('/rest_t_items?qty=xx.5');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe('PGRST100');
    expect(JSON.stringify(body)).not.toMatch(/\.ts:\d+|at .*\(/);
  });

  it('refuses a body over the limit with 413', async () => {
    if (!local()) return;
    const res = await raw('/rest_t_people', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"name":"${'x'.repeat(21 * 1024 * 1024)}"}` });
    expect(res.status).toBe(413);
    expect(res.statusText).toBe('Payload Too Large');
  });
});

describe('org isolation through /rest/v1 (RLS keyed on request.jwt.claims)', () => {
  it('a manager of one org sees only that org and cannot read or change the other', async () => {
    const mine = await managerA.from('rest_t_items').select('code').order('code');
    expect(mine.data).toEqual([{ code: 'A-1' }, { code: 'A-2' }, { code: 'A-3' }]);
    const other = await managerA.from('rest_t_items').select('*').eq('code', 'B-1');
    expect(other.status).toBe(200);
    expect(other.data).toEqual([]);
    const single = await managerA.from('rest_t_items').select('*').eq('code', 'B-1').maybeSingle();
    expect(single.data).toBeNull();
    const upd = await managerA.from('rest_t_items').update({ title: 'pwned' }).eq('code', 'B-1').select();
    expect(upd.data).toEqual([]);
    const del = await managerA.from('rest_t_items').delete().eq('code', 'B-1').select();
    expect(del.data).toEqual([]);
    const embedded = await managerA.from('rest_t_orgs').select('name, rest_t_items(code)').eq('id', ORG_B).single();
    expect(embedded.data?.rest_t_items).toEqual([]);
    const rpc = await managerA.rpc('rest_t_items_of', { p_org: ORG_B });
    expect(rpc.data).toEqual([]);
    const { rows } = await client.query("select title from public.rest_t_items where code = 'B-1'");
    expect(rows[0].title).toBe('beta secret plan');
    const theirs = await managerB.from('rest_t_items').select('code');
    expect(theirs.data).toEqual([{ code: 'B-1' }]);
  });

  it('cannot insert into or move rows to the other org', async () => {
    const ins = await managerA.from('rest_t_items').insert({ org_id: ORG_B, title: 'planted' });
    expect(ins.status).toBe(403);
    expect(ins.error?.code).toBe('42501');
    const move = await managerA.from('rest_t_items').update({ org_id: ORG_B }).eq('code', 'A-2');
    expect(move.error?.code).toBe('42501');
  });
});

describe('schema cache, OpenAPI and in-database configuration', () => {
  it('serves OpenAPI with every exposed table, view and function and their comments', async () => {
    const res = await raw('/');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.swagger).toBe('2.0');
    expect(doc.paths['/rest_t_items']).toBeDefined();
    expect(doc.definitions.rest_t_items.description).toBe('Items of an org (rest tests)');
    expect(doc.paths['/rpc/rest_t_add'].post.summary).toBe('Adds two numbers');
  });

  it('reloads the schema cache after DDL', async () => {
    await client.query('create table public.rest_t_late (id int primary key); grant select on public.rest_t_late to anon');
    await waitForTable('rest_t_late');
    expect((await anonClient().from('rest_t_late').select('*')).status).toBe(200);
    await client.query('drop table public.rest_t_late');
  });

  it('reads pgrst.* settings of the authenticator role, reloaded on NOTIFY (schemas, aggregates, explain, tx end)', async () => {
    const { rows } = await client.query("select setconfig from pg_db_role_setting where setrole = 'authenticator'::regrole and setdatabase = (select oid from pg_database where datname = current_database())");
    const before = (rows[0]?.setconfig as string[] | undefined) ?? [];
    const schemasBefore = before.find((s) => s.startsWith('pgrst.db_schemas='))?.slice('pgrst.db_schemas='.length);
    try {
      const schemas = `${schemasBefore ?? 'public, graphql_public'}, rest_t_extra`;
      await setConfig(
        `alter role authenticator set pgrst.db_schemas = '${schemas}';
         alter role authenticator set pgrst.db_aggregates_enabled = 'true';
         alter role authenticator set pgrst.db_plan_enabled = 'true';
         alter role authenticator set pgrst.db_tx_end = 'commit-allow-override';`,
        async () => (await serviceClient().schema('rest_t_extra').from('things').select('*')).status === 200,
      );
      const extra = await serviceClient().schema('rest_t_extra').from('things').select('*');
      expect(extra.data).toEqual([{ id: 1, label: 'from extra' }]);

      const agg = await serviceClient().from('rest_t_items').select('org_id, count(), qty.sum(), price.max()').order('org_id');
      expect(agg.data).toEqual([
        { org_id: ORG_A, count: 3, sum: 105, max: 9.5 },
        { org_id: ORG_B, count: 1, sum: 1, max: 1000 },
      ]);
      const embeddedCount = await serviceClient().from('rest_t_orgs').select('name, rest_t_items(count)').order('name');
      expect(embeddedCount.data).toEqual([{ name: 'Alpha', rest_t_items: [{ count: 3 }] }, { name: 'Beta', rest_t_items: [{ count: 1 }] }]);

      const plan = await serviceClient().from('rest_t_items').select('*').explain({ format: 'json' });
      expect(JSON.stringify(plan.data)).toContain('Plan');
      // Supabase computes query ids (pg_stat_statements is preloaded): verbose plans carry one.
      const verbose = await serviceClient().from('rest_t_items').select('*').explain({ format: 'json', verbose: true });
      expect((verbose.data as unknown as Record<string, unknown>[])[0]).toEqual({ Plan: expect.any(Object), 'Query Identifier': expect.any(Number) });
      // The request's search path is the schema, then db-extra-search-path as given (config.toml:
      // public, extensions), a repeat included, as PostgREST sets it.
      const settings = await serviceClient().from('rest_t_items').select('*').explain({ format: 'json', settings: true });
      expect((settings.data as unknown as { Settings: Record<string, string> }[])[0]!.Settings.search_path).toBe('"public", "public", "extensions"');

      const rolled = await raw('/rest_t_people', {
        method: 'POST',
        key: stack().SERVICE_ROLE_KEY,
        headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}`, 'content-type': 'application/json', prefer: 'tx=rollback, return=representation' },
        body: JSON.stringify({ name: 'Ghost' }),
      });
      expect(rolled.status).toBe(201);
      expect(rolled.headers.get('preference-applied')).toContain('tx=rollback');
      expect((await client.query("select count(*)::int as n from public.rest_t_people where name = 'Ghost'")).rows[0].n).toBe(0);
    } finally {
      await setConfig(
        `${schemasBefore ? `alter role authenticator set pgrst.db_schemas = '${schemasBefore}'` : 'alter role authenticator reset pgrst.db_schemas'};
         alter role authenticator reset pgrst.db_aggregates_enabled;
         alter role authenticator reset pgrst.db_plan_enabled;
         alter role authenticator reset pgrst.db_tx_end;`,
        async () => (await serviceClient().schema('rest_t_extra').from('things').select('*')).status === 406,
      );
    }
    const off = await serviceClient().from('rest_t_items').select('count()');
    expect(off.error?.code).toBe('PGRST123');
  });

  it('runs db_pre_request in the request transaction; when it fails, the statement never runs', async () => {
    // One pipeline per request: a failing step must make Postgres skip everything after it.
    await client.query(`create or replace function public.rest_t_pre() returns void language plpgsql as $$
      begin
        if current_setting('request.headers', true)::json ->> 'x-block' = 'yes' then
          raise exception 'blocked by pre-request';
        end if;
        perform set_config('response.headers', '[{"x-pre-request": "ran"}]', true);
      end $$;
      grant execute on function public.rest_t_pre() to anon, authenticated, service_role;`);
    const key = stack().SERVICE_ROLE_KEY!;
    const insert = (name: string, extra: Record<string, string> = {}) => raw('/rest_t_people', {
      method: 'POST',
      key,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'return=minimal', ...extra },
      body: JSON.stringify({ name }),
    });
    const ran = async () => (await raw('/rest_t_orgs?select=id&limit=1')).headers.get('x-pre-request') === 'ran';
    // The project's own pre-request (private.check_request) is put back afterwards.
    const before = (await client.query<{ v: string | null }>(
      `select (select substr(s, length('pgrst.db_pre_request=') + 1) from unnest(setconfig) s where s like 'pgrst.db_pre_request=%') as v
       from pg_db_role_setting where setrole = 'authenticator'::regrole and setdatabase = 0`,
    )).rows[0]?.v ?? null;
    try {
      await setConfig(`alter role authenticator set pgrst.db_pre_request = 'public.rest_t_pre'`, ran);
      const ok = await insert('Pre Ok');
      expect(ok.status).toBe(201);
      expect(ok.headers.get('x-pre-request')).toBe('ran');
      const blocked = await insert('Pre Blocked', { 'x-block': 'yes' });
      expect(blocked.status).toBe(400);
      expect(await blocked.json()).toMatchObject({ code: 'P0001', message: 'blocked by pre-request' });
      const { rows } = await client.query("select name from public.rest_t_people where name like 'Pre %' order by name");
      expect(rows.map((r) => r.name)).toEqual(['Pre Ok']);
    } finally {
      await setConfig(
        before ? `alter role authenticator set pgrst.db_pre_request = '${before}'` : 'alter role authenticator reset pgrst.db_pre_request',
        async () => !(await ran()),
      );
      await client.query("drop function if exists public.rest_t_pre(); delete from public.rest_t_people where name like 'Pre %'");
    }
    expect(await ran()).toBe(false);
  });
});
