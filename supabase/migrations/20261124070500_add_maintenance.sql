-- Maintenance requests with their history (comments, status changes, assignment, check-in/out),
-- and in-app notifications.

create table public.maintenance_requests (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  unit_id uuid not null,
  resident_id uuid,
  title text not null,
  description text not null default '',
  category text not null default 'general',
  priority text not null default 'normal',
  status text not null default 'open',
  assigned_to uuid,
  entry_permitted boolean not null default false,
  created_by uuid default private.current_user_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  constraint maintenance_requests_pkey primary key (id),
  constraint maintenance_requests_org_id_id_key unique (org_id, id),
  constraint maintenance_requests_org_id_unit_id_fkey foreign key (org_id, unit_id) references public.units (org_id, id) on delete cascade,
  constraint maintenance_requests_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id) on delete set null (resident_id),
  -- The assignee must be a member of the same org.
  constraint maintenance_requests_org_id_assigned_to_fkey foreign key (org_id, assigned_to) references public.memberships (org_id, user_id) on delete set null (assigned_to),
  constraint maintenance_requests_created_by_fkey foreign key (created_by) references auth.users (id) on delete set null,
  constraint maintenance_requests_title_check check (char_length(btrim(title)) between 1 and 200),
  constraint maintenance_requests_category_check check (category in ('general', 'plumbing', 'electrical', 'hvac', 'appliance', 'pest', 'locks', 'other')),
  constraint maintenance_requests_priority_check check (priority in ('low', 'normal', 'high', 'emergency')),
  constraint maintenance_requests_status_check check (status in ('open', 'in_progress', 'on_hold', 'completed', 'canceled')),
  constraint maintenance_requests_closed_at_check check ((status in ('completed', 'canceled')) = (closed_at is not null))
);
comment on table public.maintenance_requests is 'A repair or service request on a unit, from a resident or staff.';
comment on column public.maintenance_requests.entry_permitted is 'The resident allows staff to enter when they are not home.';
comment on column public.maintenance_requests.closed_at is 'Set when the status becomes completed or canceled.';
create index maintenance_requests_org_id_status_idx on public.maintenance_requests (org_id, status, priority);
create index maintenance_requests_org_id_unit_id_idx on public.maintenance_requests (org_id, unit_id);
create index maintenance_requests_org_id_resident_id_idx on public.maintenance_requests (org_id, resident_id);
create index maintenance_requests_org_id_assigned_to_idx on public.maintenance_requests (org_id, assigned_to);
create index maintenance_requests_created_by_idx on public.maintenance_requests (created_by);
create trigger maintenance_requests_before_update_touch before update on public.maintenance_requests
  for each row execute function private.tg_touch_updated_at();

create or replace function private.tg_maintenance_closed_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status in ('completed', 'canceled') then
    new.closed_at := coalesce(new.closed_at, now());
  else
    new.closed_at := null;
  end if;
  return new;
end;
$$;
create trigger maintenance_requests_before_write_closed_at before insert or update of status on public.maintenance_requests
  for each row execute function private.tg_maintenance_closed_at();

create table public.maintenance_events (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  request_id uuid not null,
  kind text not null,
  body text,
  from_status text,
  to_status text,
  assigned_to uuid,
  is_internal boolean not null default false,
  author_id uuid default private.current_user_id(),
  created_at timestamptz not null default now(),
  constraint maintenance_events_pkey primary key (id),
  constraint maintenance_events_org_id_request_id_fkey foreign key (org_id, request_id) references public.maintenance_requests (org_id, id) on delete cascade,
  constraint maintenance_events_author_id_fkey foreign key (author_id) references auth.users (id) on delete set null,
  constraint maintenance_events_kind_check check (kind in ('comment', 'status_change', 'assignment', 'check_in', 'check_out')),
  constraint maintenance_events_body_check check (kind <> 'comment' or char_length(btrim(body)) between 1 and 5000),
  constraint maintenance_events_status_check check (kind <> 'status_change' or to_status is not null)
);
comment on table public.maintenance_events is 'History of a maintenance request: comments, status changes, assignment, on-site check-in/out.';
comment on column public.maintenance_events.is_internal is 'Staff-only note: never shown to residents.';
create index maintenance_events_org_id_request_id_idx on public.maintenance_events (org_id, request_id, created_at);
create index maintenance_events_author_id_idx on public.maintenance_events (author_id);

-- Status and assignment changes write their own history rows.
create or replace function private.tg_maintenance_history() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status is distinct from old.status then
    insert into public.maintenance_events (org_id, request_id, kind, from_status, to_status, author_id)
    values (new.org_id, new.id, 'status_change', old.status, new.status, private.current_user_id());
  end if;
  if new.assigned_to is distinct from old.assigned_to then
    insert into public.maintenance_events (org_id, request_id, kind, assigned_to, author_id, is_internal)
    values (new.org_id, new.id, 'assignment', new.assigned_to, private.current_user_id(), false);
  end if;
  return null;
end;
$$;
create trigger maintenance_requests_after_update_history after update of status, assigned_to on public.maintenance_requests
  for each row execute function private.tg_maintenance_history();

create table public.notifications (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null,
  user_id uuid not null,
  kind text not null,
  title text not null,
  body text not null default '',
  link text,
  data jsonb not null default '{}',
  read_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_pkey primary key (id),
  constraint notifications_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint notifications_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade,
  constraint notifications_kind_check check (kind ~ '^[a-z_.]{1,50}$'),
  constraint notifications_title_check check (char_length(title) between 1 and 200)
);
comment on table public.notifications is 'In-app notifications for one user in one org (rent reminders, request updates). Written by functions.';
create index notifications_user_id_org_id_idx on public.notifications (user_id, org_id, created_at desc);
create index notifications_org_id_idx on public.notifications (org_id);

alter table public.maintenance_requests enable row level security;
alter table public.maintenance_events enable row level security;
alter table public.notifications enable row level security;
revoke all on public.maintenance_requests, public.maintenance_events, public.notifications from anon;
revoke update, truncate on public.maintenance_events from authenticated;
revoke insert, truncate on public.notifications from authenticated;
revoke update on public.notifications from authenticated;
grant update (read_at) on public.notifications to authenticated;

create policy "maintenance_requests: members select own org, residents theirs" on public.maintenance_requests
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      or resident_id = (select private.current_resident_id())
    )
  );
create policy "maintenance_requests: maintenance staff or residents can insert" on public.maintenance_requests
  for insert to authenticated
  with check (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance']))
      or (
        resident_id = (select private.current_resident_id())
        and unit_id = any ((select private.current_resident_unit_ids())::uuid[])
        and status = 'open'
        and assigned_to is null
      )
    )
  );
create policy "maintenance_requests: maintenance staff can update own org" on public.maintenance_requests
  for update to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance'])))
  with check (org_id = (select private.current_org_id()));
create policy "maintenance_requests: portfolio staff can delete own org" on public.maintenance_requests
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));

create policy "maintenance_events: staff select own org, residents public ones" on public.maintenance_events
  for select to authenticated
  using (
    org_id = (select private.current_org_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance', 'viewer']))
      or (
        not is_internal
        and request_id in (select r.id from public.maintenance_requests r where r.resident_id = (select private.current_resident_id()))
      )
    )
  );
create policy "maintenance_events: maintenance staff insert, residents comment" on public.maintenance_events
  for insert to authenticated
  with check (
    org_id = (select private.current_org_id())
    and author_id = (select private.current_user_id())
    and (
      (select private.has_org_role(array['owner', 'admin', 'manager', 'maintenance']))
      or (
        kind = 'comment'
        and not is_internal
        and request_id in (select r.id from public.maintenance_requests r where r.resident_id = (select private.current_resident_id()))
      )
    )
  );
create policy "maintenance_events: owners and admins can delete own org" on public.maintenance_events
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin'])));

create policy "notifications: users select their own in the active org" on public.notifications
  for select to authenticated
  using (user_id = (select private.current_user_id()) and org_id = (select private.current_org_id()));
create policy "notifications: users can mark their own read" on public.notifications
  for update to authenticated
  using (user_id = (select private.current_user_id()) and org_id = (select private.current_org_id()))
  with check (user_id = (select private.current_user_id()) and org_id = (select private.current_org_id()));
create policy "notifications: users can delete their own" on public.notifications
  for delete to authenticated
  using (user_id = (select private.current_user_id()) and org_id = (select private.current_org_id()));
