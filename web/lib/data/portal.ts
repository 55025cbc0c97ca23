import type { Client } from '$lib/supabase/types.ts';

export interface ResidentHome {
  fullName: string;
  leases: {
    id: string;
    unitLabel: string;
    propertyName: string;
    balanceMinor: number;
    currency: string;
    dueDay: number;
    status: string;
  }[];
}

/** What a signed-in resident sees first: their name and their leases (RLS shows only theirs). */
export async function residentHome(client: Client, orgId: string, residentId: string): Promise<ResidentHome> {
  const [me, leases] = await Promise.all([
    client.from('residents').select('full_name').eq('org_id', orgId).eq('id', residentId).maybeSingle(),
    client
      .from('leases')
      .select('id, status, balance_minor, currency, due_day, units(label, properties(name))')
      .eq('org_id', orgId)
      .in('status', ['active', 'ended'])
      .order('start_date', { ascending: false }),
  ]);
  if (me.error) throw me.error;
  if (leases.error) throw leases.error;
  return {
    fullName: me.data?.full_name ?? '',
    leases: (leases.data ?? []).map((l) => ({
      id: l.id,
      unitLabel: l.units?.label ?? '',
      propertyName: l.units?.properties?.name ?? '',
      balanceMinor: Number(l.balance_minor),
      currency: l.currency,
      dueDay: l.due_day,
      status: l.status,
    })),
  };
}
