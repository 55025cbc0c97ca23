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
-- (tests/load/rls.bench.ts) as the org's manager; forced custom plans and Postgres's choice
-- (auto) side by side in one run, three runs:
--   org of 53 units (the median):  forced 0.36-1.60 ms; auto 0.19-0.79 ms when the statement
--                                  was first run for another org (Postgres then keeps the
--                                  generic plan), about the same as forced when it was not.
--   org of 322 units:              forced 0.56-3.70 ms; auto 0.29-2.01 ms.
--   org of 5,000 units:            org totals 7.7-13.6 -> 6.8-12.3 ms, delinquency the same;
--                                  the rent roll 11.9-24.0 -> 15.9-30.7 ms (1.2-1.4x) and open
--                                  maintenance up to 1.2x slower on the generic plan.
-- The worst case is 1.4x, for one query of the largest orgs; smaller orgs pay as little as
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
