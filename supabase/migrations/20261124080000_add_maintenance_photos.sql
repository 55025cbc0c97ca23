-- Maintenance photos in the private bucket maintenance-photos at <org_id>/<request_id>/<file>, so
-- that staff reach their org's requests, a resident only their own requests, no one another org's.

-- config.toml declares the bucket for `supabase start`; this creates it on a hosted project too.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('maintenance-photos', 'maintenance-photos', false, 10485760, array['image/*'])
on conflict (id) do nothing;

-- True when p_name is <p_org_id>/<a request of that org>/<file> that the caller reaches: any
-- request as staff (p_is_staff), or one whose resident is p_resident_id. Policies pass the claims
-- in as (select ...) so they are read once per statement; security invoker, so the request lookup
-- also passes the caller's own policies on maintenance_requests.
create or replace function private.can_reach_maintenance_photo(p_name text, p_org_id uuid, p_is_staff boolean, p_resident_id uuid)
returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((
    select array_length(f.folders, 1) = 2
       and f.folders[1] = p_org_id::text
       and exists (
         select 1
           from public.maintenance_requests r
          where r.org_id = p_org_id
            -- A folder that is not a uuid names no request (and must not raise a cast error).
            and r.id = case
              when f.folders[2] ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then f.folders[2]::uuid
            end
            and (p_is_staff or r.resident_id = p_resident_id)
       )
      from (select storage.foldername(p_name) as folders) as f
  ), false)
$$;
comment on function private.can_reach_maintenance_photo(text, uuid, boolean, uuid) is
  'Whether storage object p_name in maintenance-photos lies in a request folder of org p_org_id that staff (p_is_staff) or resident p_resident_id may reach.';
revoke execute on function private.can_reach_maintenance_photo(text, uuid, boolean, uuid) from public, anon;
grant execute on function private.can_reach_maintenance_photo(text, uuid, boolean, uuid) to authenticated;

create policy "objects: staff and the resident can select maintenance photos" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer'])),
      (select private.current_resident_id())
    )
  );

create policy "objects: maintenance staff and the resident can insert photos" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])),
      (select private.current_resident_id())
    )
  );

-- Replacing a photo (upsert): staff any in their org, a resident only one they uploaded.
create policy "objects: maintenance staff and the uploader can update photos" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])),
      (select private.current_resident_id())
    )
    and ((select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])) or owner_id = (select private.current_user_id())::text)
  )
  with check (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])),
      (select private.current_resident_id())
    )
  );

create policy "objects: maintenance staff and the uploader can delete photos" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(
      name,
      (select private.current_org_id()),
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])),
      (select private.current_resident_id())
    )
    and ((select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])) or owner_id = (select private.current_user_id())::text)
  );
