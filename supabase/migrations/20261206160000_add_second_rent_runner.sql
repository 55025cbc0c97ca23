-- A second runner for the hourly rent calendar. claim_rent_run skips a run another live backend
-- holds, so two jobs with the same command share the orgs between them, each org and day still
-- one transaction, posted once. On two cores the day-one run over 2,000 orgs and 103,220 leases
-- went from one backend's 12.1 s to about half (npm run bench rent). Supabase advises at most 8
-- concurrent pg_cron jobs: this is the one more at :00.
select cron.schedule('rent-calendar-2', '0 * * * *', j.command)
from cron.job j
where j.jobname = 'rent-calendar';
