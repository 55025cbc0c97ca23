import { SignJWT } from 'jose';
import type pg from 'pg';
import { stack } from '../setup/clients.ts';

/** Tables, functions and policies the /rest/v1 tests own, all named rest_t_*, in `public`. */
export const FIXTURE_SQL = `
drop schema if exists rest_t_extra cascade;
drop table if exists public.rest_t_tags_items, public.rest_t_tags, public.rest_t_items, public.rest_t_orgs, public.rest_t_people, public.rest_t_secret, public.rest_t_many, public.rest_t_dropbox cascade;
drop function if exists public.rest_t_whoami(), public.rest_t_add(int, int), public.rest_t_echo(json), public.rest_t_items_of(uuid),
  public.rest_t_item_count(), public.rest_t_fail(text), public.rest_t_touch(), public.rest_t_settings(), public.rest_t_leak(), public.rest_t_peek() cascade;

create table public.rest_t_orgs (id uuid primary key, name text not null unique);
create table public.rest_t_people (id serial primary key, name text not null, boss_id int references public.rest_t_people(id));
create table public.rest_t_items (
  id serial primary key,
  org_id uuid not null references public.rest_t_orgs(id),
  owner_id int references public.rest_t_people(id),
  title text not null,
  qty int not null default 1 constraint rest_t_items_qty_check check (qty >= 0),
  price numeric(10,2),
  tags text[] not null default '{}',
  meta jsonb,
  during int4range,
  doc tsvector,
  created_at timestamptz not null default now(),
  code text unique
);
comment on table public.rest_t_items is 'Items of an org (rest tests)';
create table public.rest_t_tags (id serial primary key, label text not null);
create table public.rest_t_tags_items (item_id int references public.rest_t_items(id) on delete cascade, tag_id int references public.rest_t_tags(id), primary key (item_id, tag_id));
create table public.rest_t_secret (id int primary key, s text);
revoke all on public.rest_t_secret from anon, authenticated;
create table public.rest_t_many (id int primary key);
-- Users may drop notes in but not read them back (no select policy).
create table public.rest_t_dropbox (id serial primary key, note text not null);
alter table public.rest_t_dropbox enable row level security;
create policy "rest_t_dropbox: users can insert" on public.rest_t_dropbox for insert to authenticated with check (true);

alter table public.rest_t_items enable row level security;
create policy "rest_t_items: staff can select own org" on public.rest_t_items for select to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_t_items: staff can insert own org" on public.rest_t_items for insert to authenticated
  with check (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_t_items: staff can update own org" on public.rest_t_items for update to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid)
  with check (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_t_items: staff can delete own org" on public.rest_t_items for delete to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_t_items: anon can select nothing" on public.rest_t_items for select to anon using (false);

create function public.rest_t_whoami() returns json language sql stable as $$
  select json_build_object('role', current_user, 'claims', current_setting('request.jwt.claims', true)::json,
    'method', current_setting('request.method', true), 'path', current_setting('request.path', true),
    'headers', current_setting('request.headers', true)::json, 'cookies', current_setting('request.cookies', true)::json,
    'read_only', current_setting('transaction_read_only'), 'search_path', current_setting('search_path'))
$$;
create function public.rest_t_settings() returns json language sql stable as $$
  select json_build_object('statement_timeout', current_setting('statement_timeout'))
$$;
create function public.rest_t_add(a int, b int default 10) returns int language sql immutable as $$ select a + b $$;
create function public.rest_t_echo(json) returns json language sql immutable as $$ select $1 $$;
create function public.rest_t_items_of(p_org uuid) returns setof public.rest_t_items language sql stable as $$
  select * from public.rest_t_items where org_id = p_org order by id $$;
create function public.rest_t_item_count() returns table (org uuid, n bigint) language sql stable as $$
  select org_id, count(*) from public.rest_t_items group by org_id order by org_id $$;
create function public.rest_t_fail(p_msg text) returns void language plpgsql as $$
  begin raise exception '%', p_msg using hint = 'rest test hint', detail = 'rest test detail'; end $$;
create function public.rest_t_touch() returns int language sql volatile as $$
  insert into public.rest_t_people(name) values ('touched') returning id $$;
comment on function public.rest_t_add(int, int) is 'Adds two numbers';
create function public.rest_t_leak() returns text language sql volatile as $$ select set_config('lintel.leak', 'leaked', false) $$;
create function public.rest_t_peek() returns text language sql stable as $$ select coalesce(current_setting('lintel.leak', true), '') $$;

create schema rest_t_extra;
grant usage on schema rest_t_extra to anon, authenticated, service_role;
create table rest_t_extra.things (id int primary key, label text);
grant select on rest_t_extra.things to anon, authenticated, service_role;
insert into rest_t_extra.things values (1, 'from extra');
`;

export const ORG_A = '00000000-0000-4000-a000-00000000000a';
export const ORG_B = '00000000-0000-4000-a000-00000000000b';

export const SEED_SQL = `
insert into public.rest_t_orgs values ('${ORG_A}', 'Alpha'), ('${ORG_B}', 'Beta');
insert into public.rest_t_people (name, boss_id) values ('Ada', null), ('Bob', 1), ('Cy', 1);
insert into public.rest_t_tags (label) values ('red'), ('blue'), ('green');
insert into public.rest_t_items (org_id, owner_id, title, qty, price, tags, meta, during, doc, code) values
  ('${ORG_A}', 1, 'alpha hammer', 5, 9.50, '{tool,metal}', '{"color":"red","size":{"w":2}}', '[1,5)', to_tsvector('english', 'a heavy hammer'), 'A-1'),
  ('${ORG_A}', 2, 'alpha nails', 100, 0.10, '{metal}', '{"color":"grey"}', '[5,10)', to_tsvector('english', 'small nails'), 'A-2'),
  ('${ORG_A}', null, 'alpha glue', 0, null, '{}', null, null, to_tsvector('english', 'sticky glue'), 'A-3'),
  ('${ORG_B}', 3, 'beta secret plan', 1, 1000.00, '{paper}', '{"color":"blue"}', '[2,3)', to_tsvector('english', 'the secret plan'), 'B-1');
insert into public.rest_t_tags_items values (1, 1), (1, 2), (2, 2), (4, 3);
insert into public.rest_t_many select generate_series(1, 1005);
`;

/** A user token as Supabase Auth (with Lintel's hook) issues it, signed with the project secret. */
export async function userToken(claims: Record<string, unknown>, opts: { expiresIn?: number; secret?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ aud: 'authenticated', role: 'authenticated', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (opts.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(opts.secret ?? stack().JWT_SECRET!));
}

/** Waits until /rest/v1 serves a table (the schema cache reloads on NOTIFY after DDL). */
export async function waitForTable(name: string, headers: Record<string, string> = {}): Promise<void> {
  const s = stack();
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${s.API_URL}/rest/v1/${name}?limit=0`, { headers: { apikey: s.SERVICE_ROLE_KEY!, authorization: `Bearer ${s.SERVICE_ROLE_KEY}`, ...headers } });
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/rest/v1 never served ${name}`);
}

export async function loadFixture(client: pg.Client): Promise<void> {
  await client.query(FIXTURE_SQL);
  await client.query(SEED_SQL);
  await client.query("notify pgrst, 'reload schema'");
  await waitForTable('rest_t_many');
}

export async function dropFixture(client: pg.Client): Promise<void> {
  await client.query(`drop schema if exists rest_t_extra cascade;
    drop table if exists public.rest_t_tags_items, public.rest_t_tags, public.rest_t_items, public.rest_t_orgs, public.rest_t_people, public.rest_t_secret, public.rest_t_many cascade;
    drop function if exists public.rest_t_whoami(), public.rest_t_add(int, int), public.rest_t_echo(json), public.rest_t_items_of(uuid),
      public.rest_t_item_count(), public.rest_t_fail(text), public.rest_t_touch(), public.rest_t_settings(), public.rest_t_leak(), public.rest_t_peek() cascade;`);
}
