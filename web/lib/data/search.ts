import type { Client } from '$lib/supabase/types.ts';
import { searchFilter } from './filters.ts';

export interface SearchHit {
  kind: 'property' | 'unit' | 'resident' | 'lease';
  id: string;
  title: string;
  detail: string;
  href: string;
}

/**
 * The top bar's search: properties, units, residents and leases by name or number, five of each.
 * Each kind asks only what the caller's role may read (RLS answers the rest with no rows).
 */
export async function searchEverything(client: Client, orgId: string, term: string, kinds: { residents: boolean; finance: boolean }): Promise<SearchHit[]> {
  const t = term.trim();
  if (t.length < 2) return [];
  const [properties, units, residents, leases] = await Promise.all([
    client.from('properties').select('id, name, city').eq('org_id', orgId).or(searchFilter(['name', 'address_line1', 'city'], t)).order('name').limit(5),
    client.from('unit_directory').select('id, label, property_name, status').eq('org_id', orgId).or(searchFilter(['label', 'property_name'], t)).order('label').limit(5),
    kinds.residents
      ? client.from('residents').select('id, full_name, email').eq('org_id', orgId).or(searchFilter(['full_name', 'email', 'phone'], t)).order('full_name').limit(5)
      : Promise.resolve({ data: [], error: null }),
    kinds.finance
      ? client.from('lease_directory').select('id, unit_label, property_name, resident_names, status').eq('org_id', orgId).or(searchFilter(['unit_label', 'resident_names', 'property_name'], t)).order('start_date', { ascending: false }).limit(5)
      : Promise.resolve({ data: [], error: null }),
  ]);
  for (const r of [properties, units, residents, leases]) if (r.error) throw r.error;
  return [
    ...(properties.data ?? []).map((p) => ({ kind: 'property' as const, id: p.id, title: p.name, detail: p.city, href: `/app/properties/${p.id}` })),
    ...(units.data ?? []).map((u) => ({ kind: 'unit' as const, id: u.id!, title: u.label ?? '', detail: `${u.property_name} · ${u.status}`, href: `/app/units/${u.id}` })),
    ...(residents.data ?? []).map((r) => ({ kind: 'resident' as const, id: r.id, title: r.full_name, detail: r.email ?? '', href: `/app/residents/${r.id}` })),
    ...(leases.data ?? []).map((l) => ({ kind: 'lease' as const, id: l.id!, title: `${l.unit_label} · ${l.property_name}`, detail: `${l.resident_names ?? 'No residents'} · ${l.status}`, href: `/app/leases/${l.id}` })),
  ];
}
