-- Let Postgres choose between generic and custom plans for API requests, as it does by default.
--
-- 20261124081200 and 20261204180000 forced a custom plan for every API read: the fear
-- (reference/rls-measured.md) was that after five runs a prepared statement switches to one
-- generic plan made for a small org, and that plan is ruinous for a 5,000-unit one (a 604 ms
-- rent roll). That was measured against earlier drafts of the schema. With the schema as it is
-- now (org_id leading every index and every join key) it no longer holds, and planning every
-- request costs every org.
--
-- Backend CPU per statement, median of 25, the four dashboard queries of the RLS bench
-- (tests/load/rls.bench.ts) as the org's manager, the three settings side by side in one run,
-- runs repeated on two days:
--   org of 53 units (the median):  forced custom 0.36-1.60 ms; generic 0.19-0.79 ms (half).
--   org of 322 units:              forced custom 0.56-3.70 ms; generic 0.29-2.01 ms.
--   org of 5,000 units:            org totals 12.5 -> 8.3 ms and delinquency the same with the
--                                  generic plan; the rent roll 12-18 -> 16-26 ms (1.3-1.4x).
-- The worst case is a third slower, for one query of the largest orgs; every smaller org pays
-- half. A /rest/v1 read spent 0.3 ms of its 0.7 ms of database CPU planning its statement
-- again. Postgres keeps its own guard: it goes on planning per request while the generic
-- plan's estimate is worse than the custom plans it made.
--
-- The pre-request function existed only to force custom plans; PostgREST now runs none. A
-- report that does need a plan per call can carry `set plan_cache_mode = force_custom_plan` on
-- its own function.

alter role authenticator reset pgrst.db_pre_request;
drop function private.api_pre_request();
-- 20261204180000 gave anon the private schema for that function only.
revoke usage on schema private from anon;
notify pgrst, 'reload config';
