-- Demo data for `npm start` and `supabase db reset`. Applied once, after the migrations,
-- by `supabase db push --include-seed`. The multi-tenant schema issue fills this in.
select 1;
