/**
 * Query keys: always [orgId, entity, ...]. Switching org drops everything; a realtime message
 * about an entity invalidates [orgId, entity].
 */
export type Entity =
  | 'org'
  | 'properties'
  | 'units'
  | 'residents'
  | 'leases'
  | 'ledger'
  | 'payments'
  | 'rentRuns'
  | 'team'
  | 'invitations'
  | 'audit'
  | 'maintenance'
  | 'notifications'
  | 'overview'
  | 'search';

export const keys = {
  org: (orgId: string) => [orgId] as const,
  entity: (orgId: string, entity: Entity) => [orgId, entity] as const,
  list: (orgId: string, entity: Entity, params: unknown) => [orgId, entity, 'list', params] as const,
  detail: (orgId: string, entity: Entity, id: string) => [orgId, entity, 'detail', id] as const,
  options: (orgId: string, entity: Entity) => [orgId, entity, 'options'] as const,
};
