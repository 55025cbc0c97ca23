-- Invitations: a hashed single-use token with an expiry, for one email and one role. Created
-- and accepted only through invite_member / accept_invitation (add_member_rpcs).

create table public.invitations (
  id uuid not null default gen_random_uuid(),
  org_id uuid not null default private.current_org_id(),
  email text not null,
  role text not null,
  resident_id uuid,
  token_hash bytea not null,
  invited_by uuid,
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid,
  created_at timestamptz not null default now(),
  constraint invitations_pkey primary key (id),
  constraint invitations_org_id_id_key unique (org_id, id),
  constraint invitations_token_hash_key unique (token_hash),
  constraint invitations_org_id_fkey foreign key (org_id) references public.organizations (id) on delete cascade,
  constraint invitations_org_id_resident_id_fkey foreign key (org_id, resident_id) references public.residents (org_id, id) on delete cascade,
  constraint invitations_invited_by_fkey foreign key (invited_by) references auth.users (id) on delete set null,
  constraint invitations_accepted_by_fkey foreign key (accepted_by) references auth.users (id) on delete set null,
  constraint invitations_role_check check (role in ('owner', 'admin', 'manager', 'maintenance', 'viewer', 'resident')),
  constraint invitations_resident_id_check check ((role = 'resident') = (resident_id is not null)),
  constraint invitations_email_check check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+$'),
  constraint invitations_accepted_check check ((accepted_at is null) = (accepted_by is null)),
  constraint invitations_expires_at_check check (expires_at > created_at)
);
comment on table public.invitations is 'A pending or used invitation to join an org. Only the SHA-256 of the token is stored.';
comment on column public.invitations.token_hash is 'sha256 of the secret token mailed to the invitee; the token itself is never stored.';
comment on column public.invitations.resident_id is 'For resident invitations: the resident record the login is linked to.';
create index invitations_org_id_email_idx on public.invitations (org_id, email);
create index invitations_org_id_resident_id_idx on public.invitations (org_id, resident_id);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);

alter table public.memberships
  add constraint memberships_org_id_invitation_id_fkey foreign key (org_id, invitation_id)
  references public.invitations (org_id, id) on delete set null (invitation_id);
create index memberships_org_id_invitation_id_idx on public.memberships (org_id, invitation_id);

alter table public.invitations enable row level security;
revoke all on public.invitations from anon;
revoke insert, update on public.invitations from authenticated;

create policy "invitations: inviting staff can select own org" on public.invitations
  for select to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin', 'manager'])));
create policy "invitations: owners and admins can delete own org" on public.invitations
  for delete to authenticated
  using (org_id = (select private.current_org_id()) and (select private.has_org_role(array['owner', 'admin'])));
