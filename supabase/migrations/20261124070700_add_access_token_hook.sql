-- The Custom Access Token Hook puts the active org, the role in it and a resident's id into every
-- access token, at each issue and refresh, so membership changes show at the next refresh.

create or replace function public.custom_access_token_hook(event jsonb) returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_user uuid := nullif(event ->> 'user_id', '')::uuid;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb) - 'org_id' - 'org_role' - 'resident_id';
  v_org uuid;
  v_role text;
  v_resident uuid;
begin
  -- The chosen org if the user is still a member of it, else their oldest membership.
  select m.org_id, m.role into v_org, v_role
  from public.memberships m
  left join public.profiles p on p.user_id = m.user_id
  where m.user_id = v_user
  order by (m.org_id = p.active_org_id) is true desc, m.created_at, m.org_id
  limit 1;
  if v_org is not null then
    v_claims := v_claims || jsonb_build_object('org_id', v_org, 'org_role', v_role);
    if v_role = 'resident' then
      select r.id into v_resident from public.residents r where r.org_id = v_org and r.user_id = v_user;
      if v_resident is not null then
        v_claims := v_claims || jsonb_build_object('resident_id', v_resident);
      end if;
    end if;
  end if;
  return jsonb_build_object('claims', v_claims);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is
  'Supabase Auth custom access token hook: adds org_id, org_role and resident_id claims. Executable by supabase_auth_admin only.';

-- Supabase Auth calls it as supabase_auth_admin (supabase-facts.md §1).
grant usage on schema public to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated, service_role;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
