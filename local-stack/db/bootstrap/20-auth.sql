-- auth: the schema GoTrue (supabase/auth) owns, in the state its migrations leave it
-- (supabase/auth @ bc32168, 2026-08), so app migrations can reference auth.users and
-- call auth.uid()/auth.jwt(), and a GoTrue-compatible service finds the tables it uses.
-- Tables and functions are owned by supabase_auth_admin, as GoTrue creates them.

create schema auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin, dashboard_user, postgres;

-- GoTrue runs its migrations as supabase_auth_admin; do the same so ownership and
-- grantors match a hosted project.
set local role supabase_auth_admin;

create type auth.aal_level as enum (
    'aal1',
    'aal2',
    'aal3'
);
create type auth.code_challenge_method as enum (
    's256',
    'plain'
);
create type auth.factor_status as enum (
    'unverified',
    'verified'
);
create type auth.factor_type as enum (
    'totp',
    'webauthn',
    'phone'
);
create type auth.oauth_authorization_status as enum (
    'pending',
    'approved',
    'denied',
    'expired'
);
create type auth.oauth_client_type as enum (
    'public',
    'confidential'
);
create type auth.oauth_registration_type as enum (
    'dynamic',
    'manual'
);
create type auth.oauth_response_type as enum (
    'code'
);
create type auth.one_time_token_type as enum (
    'confirmation_token',
    'reauthentication_token',
    'recovery_token',
    'email_change_token_new',
    'email_change_token_current',
    'phone_change_token'
);
create function auth.email() returns text
    language sql stable
    as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';
create function auth.jwt() returns jsonb
    language sql stable
    as $$
  select 
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;
create function auth.role() returns text
    language sql stable
    as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
create function auth.uid() returns uuid
    language sql stable
    as $$
  select 
  coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
create table auth.audit_log_entries (
    instance_id uuid,
    id uuid not null,
    payload json,
    created_at timestamp with time zone,
    ip_address character varying(64) default ''::character varying not null
);
comment on table auth.audit_log_entries is 'Auth: Audit trail for user actions.';
create table auth.custom_oauth_providers (
    id uuid default gen_random_uuid() not null,
    provider_type text not null,
    identifier text not null,
    name text not null,
    client_id text not null,
    client_secret text not null,
    acceptable_client_ids text[] default '{}'::text[] not null,
    scopes text[] default '{}'::text[] not null,
    pkce_enabled boolean default true not null,
    attribute_mapping jsonb default '{}'::jsonb not null,
    authorization_params jsonb default '{}'::jsonb not null,
    enabled boolean default true not null,
    email_optional boolean default false not null,
    issuer text,
    discovery_url text,
    skip_nonce_check boolean default false not null,
    cached_discovery jsonb,
    discovery_cached_at timestamp with time zone,
    authorization_url text,
    token_url text,
    userinfo_url text,
    jwks_uri text,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null,
    custom_claims_allowlist text[] default '{}'::text[] not null,
    constraint custom_oauth_providers_authorization_url_https check (((authorization_url is null) or (authorization_url ~~ 'https://%'::text))),
    constraint custom_oauth_providers_authorization_url_length check (((authorization_url is null) or (char_length(authorization_url) <= 2048))),
    constraint custom_oauth_providers_client_id_length check (((char_length(client_id) >= 1) and (char_length(client_id) <= 512))),
    constraint custom_oauth_providers_discovery_url_length check (((discovery_url is null) or (char_length(discovery_url) <= 2048))),
    constraint custom_oauth_providers_identifier_format check ((identifier ~ '^[a-z0-9][a-z0-9:-]{0,48}[a-z0-9]$'::text)),
    constraint custom_oauth_providers_issuer_length check (((issuer is null) or ((char_length(issuer) >= 1) and (char_length(issuer) <= 2048)))),
    constraint custom_oauth_providers_jwks_uri_https check (((jwks_uri is null) or (jwks_uri ~~ 'https://%'::text))),
    constraint custom_oauth_providers_jwks_uri_length check (((jwks_uri is null) or (char_length(jwks_uri) <= 2048))),
    constraint custom_oauth_providers_name_length check (((char_length(name) >= 1) and (char_length(name) <= 100))),
    constraint custom_oauth_providers_oauth2_requires_endpoints check (((provider_type <> 'oauth2'::text) or ((authorization_url is not null) and (token_url is not null) and (userinfo_url is not null)))),
    constraint custom_oauth_providers_oidc_discovery_url_https check (((provider_type <> 'oidc'::text) or (discovery_url is null) or (discovery_url ~~ 'https://%'::text))),
    constraint custom_oauth_providers_oidc_issuer_https check (((provider_type <> 'oidc'::text) or (issuer is null) or (issuer ~~ 'https://%'::text))),
    constraint custom_oauth_providers_oidc_requires_issuer check (((provider_type <> 'oidc'::text) or (issuer is not null))),
    constraint custom_oauth_providers_provider_type_check check ((provider_type = any (array['oauth2'::text, 'oidc'::text]))),
    constraint custom_oauth_providers_token_url_https check (((token_url is null) or (token_url ~~ 'https://%'::text))),
    constraint custom_oauth_providers_token_url_length check (((token_url is null) or (char_length(token_url) <= 2048))),
    constraint custom_oauth_providers_userinfo_url_https check (((userinfo_url is null) or (userinfo_url ~~ 'https://%'::text))),
    constraint custom_oauth_providers_userinfo_url_length check (((userinfo_url is null) or (char_length(userinfo_url) <= 2048)))
);
create table auth.flow_state (
    id uuid not null,
    user_id uuid,
    auth_code text,
    code_challenge_method auth.code_challenge_method,
    code_challenge text,
    provider_type text not null,
    provider_access_token text,
    provider_refresh_token text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    authentication_method text not null,
    auth_code_issued_at timestamp with time zone,
    invite_token text,
    referrer text,
    oauth_client_state_id uuid,
    linking_target_id uuid,
    email_optional boolean default false not null
);
comment on table auth.flow_state is 'Stores metadata for all OAuth/SSO login flows';
create table auth.identities (
    provider_id text not null,
    user_id uuid not null,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    email text generated always as (lower((identity_data ->> 'email'::text))) stored,
    id uuid default gen_random_uuid() not null
);
comment on table auth.identities is 'Auth: Stores identities associated to a user.';
comment on column auth.identities.email is 'Auth: Email is a generated column that references the optional email property in the identity_data';
create table auth.instances (
    id uuid not null,
    uuid uuid,
    raw_base_config text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
comment on table auth.instances is 'Auth: Manages users across multiple sites.';
create table auth.mfa_amr_claims (
    session_id uuid not null,
    created_at timestamp with time zone not null,
    updated_at timestamp with time zone not null,
    authentication_method text not null,
    id uuid not null
);
comment on table auth.mfa_amr_claims is 'auth: stores authenticator method reference claims for multi factor authentication';
create table auth.mfa_challenges (
    id uuid not null,
    factor_id uuid not null,
    created_at timestamp with time zone not null,
    verified_at timestamp with time zone,
    ip_address inet not null,
    otp_code text,
    web_authn_session_data jsonb
);
comment on table auth.mfa_challenges is 'auth: stores metadata about challenge requests made';
create table auth.mfa_factors (
    id uuid not null,
    user_id uuid not null,
    friendly_name text,
    factor_type auth.factor_type not null,
    status auth.factor_status not null,
    created_at timestamp with time zone not null,
    updated_at timestamp with time zone not null,
    secret text,
    phone text,
    last_challenged_at timestamp with time zone,
    web_authn_credential jsonb,
    web_authn_aaguid uuid,
    last_webauthn_challenge_data jsonb
);
comment on table auth.mfa_factors is 'auth: stores metadata about factors';
comment on column auth.mfa_factors.last_webauthn_challenge_data is 'Stores the latest WebAuthn challenge data including attestation/assertion for customer verification';
create table auth.oauth_authorizations (
    id uuid not null,
    authorization_id text not null,
    client_id uuid not null,
    user_id uuid,
    redirect_uri text not null,
    scope text not null,
    state text,
    resource text,
    code_challenge text,
    code_challenge_method auth.code_challenge_method,
    response_type auth.oauth_response_type default 'code'::auth.oauth_response_type not null,
    status auth.oauth_authorization_status default 'pending'::auth.oauth_authorization_status not null,
    authorization_code text,
    created_at timestamp with time zone default now() not null,
    expires_at timestamp with time zone default (now() + '00:03:00'::interval) not null,
    approved_at timestamp with time zone,
    nonce text,
    constraint oauth_authorizations_authorization_code_length check ((char_length(authorization_code) <= 255)),
    constraint oauth_authorizations_code_challenge_length check ((char_length(code_challenge) <= 128)),
    constraint oauth_authorizations_expires_at_future check ((expires_at > created_at)),
    constraint oauth_authorizations_nonce_length check ((char_length(nonce) <= 255)),
    constraint oauth_authorizations_redirect_uri_length check ((char_length(redirect_uri) <= 2048)),
    constraint oauth_authorizations_resource_length check ((char_length(resource) <= 2048)),
    constraint oauth_authorizations_scope_length check ((char_length(scope) <= 4096)),
    constraint oauth_authorizations_state_length check ((char_length(state) <= 4096))
);
create table auth.oauth_client_states (
    id uuid not null,
    provider_type text not null,
    code_verifier text,
    created_at timestamp with time zone not null
);
comment on table auth.oauth_client_states is 'Stores OAuth states for third-party provider authentication flows where Supabase acts as the OAuth client.';
create table auth.oauth_clients (
    id uuid not null,
    client_secret_hash text,
    registration_type auth.oauth_registration_type not null,
    redirect_uris text not null,
    grant_types text not null,
    client_name text,
    client_uri text,
    logo_uri text,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null,
    deleted_at timestamp with time zone,
    client_type auth.oauth_client_type default 'confidential'::auth.oauth_client_type not null,
    token_endpoint_auth_method text not null,
    constraint oauth_clients_client_name_length check ((char_length(client_name) <= 1024)),
    constraint oauth_clients_client_uri_length check ((char_length(client_uri) <= 2048)),
    constraint oauth_clients_logo_uri_length check ((char_length(logo_uri) <= 2048)),
    constraint oauth_clients_token_endpoint_auth_method_check check ((token_endpoint_auth_method = any (array['client_secret_basic'::text, 'client_secret_post'::text, 'none'::text])))
);
create table auth.oauth_consents (
    id uuid not null,
    user_id uuid not null,
    client_id uuid not null,
    scopes text not null,
    granted_at timestamp with time zone default now() not null,
    revoked_at timestamp with time zone,
    constraint oauth_consents_revoked_after_granted check (((revoked_at is null) or (revoked_at >= granted_at))),
    constraint oauth_consents_scopes_length check ((char_length(scopes) <= 2048)),
    constraint oauth_consents_scopes_not_empty check ((char_length(trim(both from scopes)) > 0))
);
create table auth.one_time_tokens (
    id uuid not null,
    user_id uuid not null,
    token_type auth.one_time_token_type not null,
    token_hash text not null,
    relates_to text not null,
    created_at timestamp without time zone default now() not null,
    updated_at timestamp without time zone default now() not null,
    constraint one_time_tokens_token_hash_check check ((char_length(token_hash) > 0))
);
create table auth.refresh_tokens (
    instance_id uuid,
    id bigint not null,
    token character varying(255),
    user_id character varying(255),
    revoked boolean,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    parent character varying(255),
    session_id uuid
);
comment on table auth.refresh_tokens is 'Auth: Store of tokens used to refresh JWT tokens once they expire.';
create sequence auth.refresh_tokens_id_seq
    start with 1
    increment by 1
    no minvalue
    no maxvalue
    cache 1;
alter sequence auth.refresh_tokens_id_seq owned by auth.refresh_tokens.id;
create table auth.saml_providers (
    id uuid not null,
    sso_provider_id uuid not null,
    entity_id text not null,
    metadata_xml text not null,
    metadata_url text,
    attribute_mapping jsonb,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    name_id_format text,
    constraint "entity_id not empty" check ((char_length(entity_id) > 0)),
    constraint "metadata_url not empty" check (((metadata_url = null::text) or (char_length(metadata_url) > 0))),
    constraint "metadata_xml not empty" check ((char_length(metadata_xml) > 0))
);
comment on table auth.saml_providers is 'Auth: Manages SAML Identity Provider connections.';
create table auth.saml_relay_states (
    id uuid not null,
    sso_provider_id uuid not null,
    request_id text not null,
    for_email text,
    redirect_to text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    flow_state_id uuid,
    constraint "request_id not empty" check ((char_length(request_id) > 0))
);
comment on table auth.saml_relay_states is 'Auth: Contains SAML Relay State information for each Service Provider initiated login.';
create table auth.schema_migrations (
    version character varying(255) not null
);
comment on table auth.schema_migrations is 'Auth: Manages updates to the auth system.';
create table auth.sessions (
    id uuid not null,
    user_id uuid not null,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    factor_id uuid,
    aal auth.aal_level,
    not_after timestamp with time zone,
    refreshed_at timestamp without time zone,
    user_agent text,
    ip inet,
    tag text,
    oauth_client_id uuid,
    refresh_token_hmac_key text,
    refresh_token_counter bigint,
    scopes text,
    constraint sessions_scopes_length check ((char_length(scopes) <= 4096))
);
comment on table auth.sessions is 'Auth: Stores session data associated to a user.';
comment on column auth.sessions.not_after is 'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.';
comment on column auth.sessions.refresh_token_hmac_key is 'Holds a HMAC-SHA256 key used to sign refresh tokens for this session.';
comment on column auth.sessions.refresh_token_counter is 'Holds the ID (counter) of the last issued refresh token.';
create table auth.sso_domains (
    id uuid not null,
    sso_provider_id uuid not null,
    domain text not null,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    constraint "domain not empty" check ((char_length(domain) > 0))
);
comment on table auth.sso_domains is 'Auth: Manages SSO email address domain mapping to an SSO Identity Provider.';
create table auth.sso_providers (
    id uuid not null,
    resource_id text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    disabled boolean,
    constraint "resource_id not empty" check (((resource_id = null::text) or (char_length(resource_id) > 0)))
);
comment on table auth.sso_providers is 'Auth: Manages SSO identity provider information; see saml_providers for SAML.';
comment on column auth.sso_providers.resource_id is 'Auth: Uniquely identifies a SSO provider according to a user-chosen resource ID (case insensitive), useful in infrastructure as code.';
create table auth.users (
    instance_id uuid,
    id uuid not null,
    aud character varying(255),
    role character varying(255),
    email character varying(255),
    encrypted_password character varying(255),
    email_confirmed_at timestamp with time zone,
    invited_at timestamp with time zone,
    confirmation_token character varying(255),
    confirmation_sent_at timestamp with time zone,
    recovery_token character varying(255),
    recovery_sent_at timestamp with time zone,
    email_change_token_new character varying(255),
    email_change character varying(255),
    email_change_sent_at timestamp with time zone,
    last_sign_in_at timestamp with time zone,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    phone text default null::character varying,
    phone_confirmed_at timestamp with time zone,
    phone_change text default ''::character varying,
    phone_change_token character varying(255) default ''::character varying,
    phone_change_sent_at timestamp with time zone,
    confirmed_at timestamp with time zone generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current character varying(255) default ''::character varying,
    email_change_confirm_status smallint default 0,
    banned_until timestamp with time zone,
    reauthentication_token character varying(255) default ''::character varying,
    reauthentication_sent_at timestamp with time zone,
    is_sso_user boolean default false not null,
    deleted_at timestamp with time zone,
    is_anonymous boolean default false not null,
    constraint users_email_change_confirm_status_check check (((email_change_confirm_status >= 0) and (email_change_confirm_status <= 2)))
);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
create table auth.webauthn_challenges (
    id uuid default gen_random_uuid() not null,
    user_id uuid,
    challenge_type text not null,
    session_data jsonb not null,
    created_at timestamp with time zone default now() not null,
    expires_at timestamp with time zone not null,
    constraint webauthn_challenges_challenge_type_check check ((challenge_type = any (array['signup'::text, 'registration'::text, 'authentication'::text])))
);
create table auth.webauthn_credentials (
    id uuid default gen_random_uuid() not null,
    user_id uuid not null,
    credential_id bytea not null,
    public_key bytea not null,
    attestation_type text default ''::text not null,
    aaguid uuid,
    sign_count bigint default 0 not null,
    transports jsonb default '[]'::jsonb not null,
    backup_eligible boolean default false not null,
    backed_up boolean default false not null,
    friendly_name text default ''::text not null,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null,
    last_used_at timestamp with time zone
);
alter table auth.refresh_tokens alter column id set default nextval('auth.refresh_tokens_id_seq'::regclass);
alter table auth.mfa_amr_claims
    add constraint amr_id_pk primary key (id);
alter table auth.audit_log_entries
    add constraint audit_log_entries_pkey primary key (id);
alter table auth.custom_oauth_providers
    add constraint custom_oauth_providers_identifier_key unique (identifier);
alter table auth.custom_oauth_providers
    add constraint custom_oauth_providers_pkey primary key (id);
alter table auth.flow_state
    add constraint flow_state_pkey primary key (id);
alter table auth.identities
    add constraint identities_pkey primary key (id);
alter table auth.identities
    add constraint identities_provider_id_provider_unique unique (provider_id, provider);
alter table auth.instances
    add constraint instances_pkey primary key (id);
alter table auth.mfa_amr_claims
    add constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method);
alter table auth.mfa_challenges
    add constraint mfa_challenges_pkey primary key (id);
alter table auth.mfa_factors
    add constraint mfa_factors_last_challenged_at_key unique (last_challenged_at);
alter table auth.mfa_factors
    add constraint mfa_factors_pkey primary key (id);
alter table auth.oauth_authorizations
    add constraint oauth_authorizations_authorization_code_key unique (authorization_code);
alter table auth.oauth_authorizations
    add constraint oauth_authorizations_authorization_id_key unique (authorization_id);
alter table auth.oauth_authorizations
    add constraint oauth_authorizations_pkey primary key (id);
alter table auth.oauth_client_states
    add constraint oauth_client_states_pkey primary key (id);
alter table auth.oauth_clients
    add constraint oauth_clients_pkey primary key (id);
alter table auth.oauth_consents
    add constraint oauth_consents_pkey primary key (id);
alter table auth.oauth_consents
    add constraint oauth_consents_user_client_unique unique (user_id, client_id);
alter table auth.one_time_tokens
    add constraint one_time_tokens_pkey primary key (id);
alter table auth.refresh_tokens
    add constraint refresh_tokens_pkey primary key (id);
alter table auth.refresh_tokens
    add constraint refresh_tokens_token_unique unique (token);
alter table auth.saml_providers
    add constraint saml_providers_entity_id_key unique (entity_id);
alter table auth.saml_providers
    add constraint saml_providers_pkey primary key (id);
alter table auth.saml_relay_states
    add constraint saml_relay_states_pkey primary key (id);
alter table auth.schema_migrations
    add constraint schema_migrations_pkey primary key (version);
alter table auth.sessions
    add constraint sessions_pkey primary key (id);
alter table auth.sso_domains
    add constraint sso_domains_pkey primary key (id);
alter table auth.sso_providers
    add constraint sso_providers_pkey primary key (id);
alter table auth.users
    add constraint users_phone_key unique (phone);
alter table auth.users
    add constraint users_pkey primary key (id);
alter table auth.webauthn_challenges
    add constraint webauthn_challenges_pkey primary key (id);
alter table auth.webauthn_credentials
    add constraint webauthn_credentials_pkey primary key (id);
create index audit_logs_instance_id_idx on auth.audit_log_entries using btree (instance_id);
create unique index confirmation_token_idx on auth.users using btree (confirmation_token) where ((confirmation_token)::text !~ '^[0-9 ]*$'::text);
create index custom_oauth_providers_created_at_idx on auth.custom_oauth_providers using btree (created_at);
create index custom_oauth_providers_enabled_idx on auth.custom_oauth_providers using btree (enabled);
create index custom_oauth_providers_identifier_idx on auth.custom_oauth_providers using btree (identifier);
create index custom_oauth_providers_provider_type_idx on auth.custom_oauth_providers using btree (provider_type);
create unique index email_change_token_current_idx on auth.users using btree (email_change_token_current) where ((email_change_token_current)::text !~ '^[0-9 ]*$'::text);
create unique index email_change_token_new_idx on auth.users using btree (email_change_token_new) where ((email_change_token_new)::text !~ '^[0-9 ]*$'::text);
create index factor_id_created_at_idx on auth.mfa_factors using btree (user_id, created_at);
create index flow_state_created_at_idx on auth.flow_state using btree (created_at desc);
create index identities_email_idx on auth.identities using btree (email text_pattern_ops);
comment on index auth.identities_email_idx is 'Auth: Ensures indexed queries on the email column';
create index identities_user_id_idx on auth.identities using btree (user_id);
create index idx_auth_code on auth.flow_state using btree (auth_code);
create index idx_oauth_client_states_created_at on auth.oauth_client_states using btree (created_at);
create index idx_user_id_auth_method on auth.flow_state using btree (user_id, authentication_method);
create index mfa_challenge_created_at_idx on auth.mfa_challenges using btree (created_at desc);
create unique index mfa_factors_user_friendly_name_unique on auth.mfa_factors using btree (friendly_name, user_id) where (trim(both from friendly_name) <> ''::text);
create index mfa_factors_user_id_idx on auth.mfa_factors using btree (user_id);
create index oauth_auth_pending_exp_idx on auth.oauth_authorizations using btree (expires_at) where (status = 'pending'::auth.oauth_authorization_status);
create index oauth_clients_deleted_at_idx on auth.oauth_clients using btree (deleted_at);
create index oauth_consents_active_client_idx on auth.oauth_consents using btree (client_id) where (revoked_at is null);
create index oauth_consents_active_user_client_idx on auth.oauth_consents using btree (user_id, client_id) where (revoked_at is null);
create index oauth_consents_user_order_idx on auth.oauth_consents using btree (user_id, granted_at desc);
create index one_time_tokens_relates_to_hash_idx on auth.one_time_tokens using hash (relates_to);
create index one_time_tokens_token_hash_hash_idx on auth.one_time_tokens using hash (token_hash);
create unique index one_time_tokens_user_id_token_type_key on auth.one_time_tokens using btree (user_id, token_type);
create unique index reauthentication_token_idx on auth.users using btree (reauthentication_token) where ((reauthentication_token)::text !~ '^[0-9 ]*$'::text);
create unique index recovery_token_idx on auth.users using btree (recovery_token) where ((recovery_token)::text !~ '^[0-9 ]*$'::text);
create index refresh_tokens_instance_id_idx on auth.refresh_tokens using btree (instance_id);
create index refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens using btree (instance_id, user_id);
create index refresh_tokens_parent_idx on auth.refresh_tokens using btree (parent);
create index refresh_tokens_session_id_revoked_idx on auth.refresh_tokens using btree (session_id, revoked);
create index refresh_tokens_updated_at_idx on auth.refresh_tokens using btree (updated_at desc);
create index saml_providers_sso_provider_id_idx on auth.saml_providers using btree (sso_provider_id);
create index saml_relay_states_created_at_idx on auth.saml_relay_states using btree (created_at desc);
create index saml_relay_states_for_email_idx on auth.saml_relay_states using btree (for_email);
create index saml_relay_states_sso_provider_id_idx on auth.saml_relay_states using btree (sso_provider_id);
create index sessions_not_after_idx on auth.sessions using btree (not_after desc);
create index sessions_oauth_client_id_idx on auth.sessions using btree (oauth_client_id);
create index sessions_user_id_idx on auth.sessions using btree (user_id);
create unique index sso_domains_domain_idx on auth.sso_domains using btree (lower(domain));
create index sso_domains_sso_provider_id_idx on auth.sso_domains using btree (sso_provider_id);
create unique index sso_providers_resource_id_idx on auth.sso_providers using btree (lower(resource_id));
create index sso_providers_resource_id_pattern_idx on auth.sso_providers using btree (resource_id text_pattern_ops);
create unique index unique_phone_factor_per_user on auth.mfa_factors using btree (user_id, phone);
create index user_id_created_at_idx on auth.sessions using btree (user_id, created_at);
create unique index users_email_partial_key on auth.users using btree (email) where (is_sso_user = false);
comment on index auth.users_email_partial_key is 'Auth: A partial unique index that applies only when is_sso_user is false';
create index users_instance_id_email_idx on auth.users using btree (instance_id, lower((email)::text));
create index users_instance_id_idx on auth.users using btree (instance_id);
create index users_is_anonymous_idx on auth.users using btree (is_anonymous);
create index webauthn_challenges_expires_at_idx on auth.webauthn_challenges using btree (expires_at);
create index webauthn_challenges_user_id_idx on auth.webauthn_challenges using btree (user_id);
create unique index webauthn_credentials_credential_id_key on auth.webauthn_credentials using btree (credential_id);
create index webauthn_credentials_user_id_idx on auth.webauthn_credentials using btree (user_id);
alter table auth.identities
    add constraint identities_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.mfa_amr_claims
    add constraint mfa_amr_claims_session_id_fkey foreign key (session_id) references auth.sessions(id) on delete cascade;
alter table auth.mfa_challenges
    add constraint mfa_challenges_auth_factor_id_fkey foreign key (factor_id) references auth.mfa_factors(id) on delete cascade;
alter table auth.mfa_factors
    add constraint mfa_factors_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.oauth_authorizations
    add constraint oauth_authorizations_client_id_fkey foreign key (client_id) references auth.oauth_clients(id) on delete cascade;
alter table auth.oauth_authorizations
    add constraint oauth_authorizations_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.oauth_consents
    add constraint oauth_consents_client_id_fkey foreign key (client_id) references auth.oauth_clients(id) on delete cascade;
alter table auth.oauth_consents
    add constraint oauth_consents_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.one_time_tokens
    add constraint one_time_tokens_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.refresh_tokens
    add constraint refresh_tokens_session_id_fkey foreign key (session_id) references auth.sessions(id) on delete cascade;
alter table auth.saml_providers
    add constraint saml_providers_sso_provider_id_fkey foreign key (sso_provider_id) references auth.sso_providers(id) on delete cascade;
alter table auth.saml_relay_states
    add constraint saml_relay_states_flow_state_id_fkey foreign key (flow_state_id) references auth.flow_state(id) on delete cascade;
alter table auth.saml_relay_states
    add constraint saml_relay_states_sso_provider_id_fkey foreign key (sso_provider_id) references auth.sso_providers(id) on delete cascade;
alter table auth.sessions
    add constraint sessions_oauth_client_id_fkey foreign key (oauth_client_id) references auth.oauth_clients(id) on delete cascade;
alter table auth.sessions
    add constraint sessions_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.sso_domains
    add constraint sso_domains_sso_provider_id_fkey foreign key (sso_provider_id) references auth.sso_providers(id) on delete cascade;
alter table auth.webauthn_challenges
    add constraint webauthn_challenges_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.webauthn_credentials
    add constraint webauthn_credentials_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade;
alter table auth.audit_log_entries enable row level security;
alter table auth.flow_state enable row level security;
alter table auth.identities enable row level security;
alter table auth.instances enable row level security;
alter table auth.mfa_amr_claims enable row level security;
alter table auth.mfa_challenges enable row level security;
alter table auth.mfa_factors enable row level security;
alter table auth.one_time_tokens enable row level security;
alter table auth.refresh_tokens enable row level security;
alter table auth.saml_providers enable row level security;
alter table auth.saml_relay_states enable row level security;
alter table auth.schema_migrations enable row level security;
alter table auth.sessions enable row level security;
alter table auth.sso_domains enable row level security;
alter table auth.sso_providers enable row level security;
alter table auth.users enable row level security;
grant all on function auth.email() to dashboard_user;
grant all on function auth.email() to postgres;
grant all on function auth.jwt() to postgres;
grant all on function auth.jwt() to dashboard_user;
grant all on function auth.role() to dashboard_user;
grant all on function auth.role() to postgres;
grant all on function auth.uid() to dashboard_user;
grant all on function auth.uid() to postgres;
grant all on table auth.audit_log_entries to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.audit_log_entries to postgres;
grant select on table auth.audit_log_entries to postgres with grant option;
grant all on table auth.custom_oauth_providers to postgres;
grant all on table auth.custom_oauth_providers to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.flow_state to postgres;
grant select on table auth.flow_state to postgres with grant option;
grant all on table auth.flow_state to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.identities to postgres;
grant select on table auth.identities to postgres with grant option;
grant all on table auth.identities to dashboard_user;
grant all on table auth.instances to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.instances to postgres;
grant select on table auth.instances to postgres with grant option;
grant insert,references,delete,trigger,truncate,update on table auth.mfa_amr_claims to postgres;
grant select on table auth.mfa_amr_claims to postgres with grant option;
grant all on table auth.mfa_amr_claims to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.mfa_challenges to postgres;
grant select on table auth.mfa_challenges to postgres with grant option;
grant all on table auth.mfa_challenges to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.mfa_factors to postgres;
grant select on table auth.mfa_factors to postgres with grant option;
grant all on table auth.mfa_factors to dashboard_user;
grant all on table auth.oauth_authorizations to postgres;
grant all on table auth.oauth_authorizations to dashboard_user;
grant all on table auth.oauth_client_states to postgres;
grant all on table auth.oauth_client_states to dashboard_user;
grant all on table auth.oauth_clients to postgres;
grant all on table auth.oauth_clients to dashboard_user;
grant all on table auth.oauth_consents to postgres;
grant all on table auth.oauth_consents to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.one_time_tokens to postgres;
grant select on table auth.one_time_tokens to postgres with grant option;
grant all on table auth.one_time_tokens to dashboard_user;
grant all on table auth.refresh_tokens to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.refresh_tokens to postgres;
grant select on table auth.refresh_tokens to postgres with grant option;
grant all on sequence auth.refresh_tokens_id_seq to dashboard_user;
grant all on sequence auth.refresh_tokens_id_seq to postgres;
grant insert,references,delete,trigger,truncate,update on table auth.saml_providers to postgres;
grant select on table auth.saml_providers to postgres with grant option;
grant all on table auth.saml_providers to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.saml_relay_states to postgres;
grant select on table auth.saml_relay_states to postgres with grant option;
grant all on table auth.saml_relay_states to dashboard_user;
grant all on table auth.schema_migrations to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.schema_migrations to postgres;
grant select on table auth.schema_migrations to postgres with grant option;
grant insert,references,delete,trigger,truncate,update on table auth.sessions to postgres;
grant select on table auth.sessions to postgres with grant option;
grant all on table auth.sessions to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.sso_domains to postgres;
grant select on table auth.sso_domains to postgres with grant option;
grant all on table auth.sso_domains to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.sso_providers to postgres;
grant select on table auth.sso_providers to postgres with grant option;
grant all on table auth.sso_providers to dashboard_user;
grant all on table auth.users to dashboard_user;
grant insert,references,delete,trigger,truncate,update on table auth.users to postgres;
grant select on table auth.users to postgres with grant option;
grant all on table auth.webauthn_challenges to postgres;
grant all on table auth.webauthn_challenges to dashboard_user;
grant all on table auth.webauthn_credentials to postgres;
grant all on table auth.webauthn_credentials to dashboard_user;

-- The versions GoTrue records after running the migrations the tables above reflect
-- (the first seven come from the supabase/postgres init script). Recording them means a
-- real GoTrue pointed at this database would not try to re-run its migrations.
insert into auth.schema_migrations (version) values
  ('20171026211738'), ('20171026211808'), ('20171026211834'), ('20180103212743'),
  ('20180108183307'), ('20180119214651'), ('20180125194653'),
  ('00'),
  ('20210710035447'),
  ('20210722035447'),
  ('20210730183235'),
  ('20210909172000'),
  ('20210927181326'),
  ('20211122151130'),
  ('20211124214934'),
  ('20211202183645'),
  ('20220114185221'),
  ('20220114185340'),
  ('20220224000811'),
  ('20220323170000'),
  ('20220429102000'),
  ('20220531120530'),
  ('20220614074223'),
  ('20220811173540'),
  ('20221003041349'),
  ('20221003041400'),
  ('20221011041400'),
  ('20221020193600'),
  ('20221021073300'),
  ('20221021082433'),
  ('20221027105023'),
  ('20221114143122'),
  ('20221114143410'),
  ('20221125140132'),
  ('20221208132122'),
  ('20221215195500'),
  ('20221215195800'),
  ('20221215195900'),
  ('20230116124310'),
  ('20230116124412'),
  ('20230131181311'),
  ('20230322519590'),
  ('20230402418590'),
  ('20230411005111'),
  ('20230508135423'),
  ('20230523124323'),
  ('20230818113222'),
  ('20230914180801'),
  ('20231027141322'),
  ('20231114161723'),
  ('20231117164230'),
  ('20240115144230'),
  ('20240214120130'),
  ('20240306115329'),
  ('20240314092811'),
  ('20240427152123'),
  ('20240612123726'),
  ('20240729123726'),
  ('20240802193726'),
  ('20240806073726'),
  ('20241009103726'),
  ('20250717082212'),
  ('20250731150234'),
  ('20250804100000'),
  ('20250901200500'),
  ('20250903112500'),
  ('20250904133000'),
  ('20250925093508'),
  ('20251007112900'),
  ('20251104100000'),
  ('20251111201300'),
  ('20251201000000'),
  ('20260115000000'),
  ('20260121000000'),
  ('20260219120000'),
  ('20260302000000'),
  ('20260625000000');

reset role;

alter default privileges for role supabase_auth_admin in schema auth
  grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on functions to postgres, dashboard_user;
