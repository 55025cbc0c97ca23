import type { Client } from '$lib/supabase/types.ts';

export interface OverviewCounts {
  properties: number;
  units: number;
  occupied: number;
  notice: number;
  residents: number | null;
  members: number;
}

/** The figures the overview starts with; residents only for roles that may read them. */
export async function overviewCounts(client: Client, orgId: string, withResidents: boolean): Promise<OverviewCounts> {
  const count = (q: PromiseLike<{ count: number | null; error: unknown }>) =>
    Promise.resolve(q).then((r) => {
      if (r.error) throw r.error;
      return r.count ?? 0;
    });
  const [properties, units, occupied, notice, residents, members] = await Promise.all([
    count(client.from('properties').select('id', { count: 'exact', head: true }).eq('org_id', orgId)),
    count(client.from('units').select('id', { count: 'exact', head: true }).eq('org_id', orgId)),
    count(client.from('unit_directory').select('id', { count: 'exact', head: true }).eq('org_id', orgId).neq('status', 'vacant')),
    count(client.from('unit_directory').select('id', { count: 'exact', head: true }).eq('org_id', orgId).eq('status', 'notice')),
    withResidents ? count(client.from('residents').select('id', { count: 'exact', head: true }).eq('org_id', orgId)) : Promise.resolve(null),
    count(client.from('memberships').select('user_id', { count: 'exact', head: true }).eq('org_id', orgId).neq('role', 'resident')),
  ]);
  return { properties, units, occupied, notice, residents, members };
}
