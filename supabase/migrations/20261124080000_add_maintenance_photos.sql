-- Photos on maintenance requests: Storage bucket maintenance-photos (private, images, 10 MB), paths
-- <org_id>/<maintenance_request_id>/<file>. Org staff reach their org's folders, a resident the folders of their own requests; no one crosses orgs.

-- config.toml declares the bucket for `supabase start`; this creates it on a hosted project too.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('maintenance-photos', 'maintenance-photos', false, 10485760, array['image/*'])
on conflict (id) do nothing;

-- True when an object name is <active org>/<a request of that org>/<file> and the caller is staff
-- with one of p_staff_roles or the request's resident. Security definer so the lookup of the
-- request does not depend on the caller's own policies on maintenance_requests.
create function private.can_reach_maintenance_photo(p_name text, p_staff_roles text[]) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select coalesce((
    select array_length(f.folders, 1) = 2
       and f.folders[1] = private.current_org_id()::text
       and exists (
         select 1
           from public.maintenance_requests r
          where r.org_id = private.current_org_id()
            -- A folder that is not a uuid names no request (and must not raise a cast error).
            and r.id = case
              when f.folders[2] ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then f.folders[2]::uuid
            end
            and (private.has_org_role(p_staff_roles) or r.resident_id = private.current_resident_id())
       )
      from (select storage.foldername(p_name) as folders) as f
  ), false)
$$;
comment on function private.can_reach_maintenance_photo(text, text[]) is
  'Whether the caller may reach storage object p_name in maintenance-photos: staff with one of p_staff_roles in the org, or the resident of the request.';
revoke execute on function private.can_reach_maintenance_photo(text, text[]) from public, anon;
grant execute on function private.can_reach_maintenance_photo(text, text[]) to authenticated;

create policy "objects: org staff and the request's resident can select maintenance photos" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(name, array['owner', 'admin', 'manager', 'maintenance', 'viewer'])
  );

create policy "objects: maintenance staff and the request's resident can insert maintenance photos" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(name, array['owner', 'admin', 'manager', 'maintenance'])
  );

-- Replacing a photo (upsert): staff any in their org, a resident only one they uploaded.
create policy "objects: maintenance staff and the uploading resident can update maintenance photos" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(name, array['owner', 'admin', 'manager', 'maintenance'])
    and ((select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])) or owner_id = (select private.current_user_id())::text)
  )
  with check (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(name, array['owner', 'admin', 'manager', 'maintenance'])
  );

create policy "objects: maintenance staff and the uploading resident can delete maintenance photos" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'maintenance-photos'
    and private.can_reach_maintenance_photo(name, array['owner', 'admin', 'manager', 'maintenance'])
    and ((select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])) or owner_id = (select private.current_user_id())::text)
  );
