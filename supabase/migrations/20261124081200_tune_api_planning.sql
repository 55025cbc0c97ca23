-- Dashboard statements for an org of 5,000 units and one of 50 share prepared statements
-- (PostgREST prepares every statement). After five runs Postgres may switch to one generic plan
-- that suits the average org and not the large one (reference/rls-measured.md); plan each
-- request for its own parameters. PostgREST applies a role's settings on every request.
alter role authenticated set plan_cache_mode = 'force_custom_plan';
