// `GET /rest/v1/`: the Swagger 2.0 description PostgREST serves (Response/OpenAPI.hs), with
// every exposed table, view and function of the schema and their catalog comments.
import type { Column, SchemaCache } from './schema.ts';

function jsonType(typname: string): { type: string; items?: { type: string } } {
  if (typname.startsWith('_')) return { type: 'array', items: jsonType(typname.slice(1)) as { type: string } };
  if (['int2', 'int4', 'int8'].includes(typname)) return { type: 'integer' };
  if (['float4', 'float8', 'numeric'].includes(typname)) return { type: 'number' };
  if (typname === 'bool') return { type: 'boolean' };
  if (typname === 'json' || typname === 'jsonb') return { type: 'object' } as never;
  return { type: 'string' };
}

function property(c: Column, pk: string[]) {
  const t = jsonType(c.typname);
  const descr = [c.description, pk.includes(c.name) ? 'Note:\nThis is a Primary Key.<pk/>' : null].filter(Boolean).join('\n\n');
  return {
    ...(c.default !== null ? { default: c.default } : {}),
    ...(descr ? { description: descr } : {}),
    ...(c.enum ? { enum: c.enum } : {}),
    format: c.type,
    ...(t.type === 'object' ? {} : t),
  };
}

/** The OpenAPI (Swagger 2.0) document for one exposed schema. */
export function openApi(cache: SchemaCache, schema: string, host: string, version = '12.2.3'): unknown {
  const paths: Record<string, unknown> = { '/': { get: { produces: ['application/openapi+json', 'application/json'], responses: { 200: { description: 'OK' } }, summary: 'OpenAPI description (this document)', tags: ['Introspection'] } } };
  const definitions: Record<string, unknown> = {};
  const tables = [...cache.tables.values()].filter((t) => t.schema === schema).sort((a, b) => a.name.localeCompare(b.name));
  const parameters: Record<string, unknown> = {
    preferParams: { name: 'Prefer', description: 'Preference', required: false, enum: ['params=single-object'], in: 'header', type: 'string' },
    preferReturn: { name: 'Prefer', description: 'Preference', required: false, enum: ['return=representation', 'return=minimal', 'return=none'], in: 'header', type: 'string' },
    preferCount: { name: 'Prefer', description: 'Preference', required: false, enum: ['count=none'], in: 'header', type: 'string' },
    preferPost: { name: 'Prefer', description: 'Preference', required: false, enum: ['return=representation', 'return=minimal', 'return=none', 'resolution=ignore-duplicates', 'resolution=merge-duplicates'], in: 'header', type: 'string' },
    select: { name: 'select', description: 'Filtering Columns', required: false, in: 'query', type: 'string' },
    on_conflict: { name: 'on_conflict', description: 'On Conflict', required: false, in: 'query', type: 'string' },
    order: { name: 'order', description: 'Ordering', required: false, in: 'query', type: 'string' },
    range: { name: 'Range', description: 'Limiting and Pagination', required: false, in: 'header', type: 'string' },
    rangeUnit: { name: 'Range-Unit', description: 'Limiting and Pagination', required: false, default: 'items', in: 'header', type: 'string' },
    offset: { name: 'offset', description: 'Limiting and Pagination', required: false, in: 'query', type: 'string' },
    limit: { name: 'limit', description: 'Limiting and Pagination', required: false, in: 'query', type: 'string' },
  };
  for (const t of tables) {
    const props: Record<string, unknown> = {};
    for (const c of t.columns) {
      props[c.name] = property(c, t.pk);
      parameters[`rowFilter.${t.name}.${c.name}`] = { name: c.name, description: c.description ?? undefined, required: false, format: c.type, in: 'query', type: 'string' };
    }
    const required = t.columns.filter((c) => !c.nullable && c.default === null && !c.generated).map((c) => c.name);
    definitions[t.name] = { ...(t.description ? { description: t.description } : {}), required: required.length ? required : undefined, properties: props, type: 'object' };
    const rowFilters = t.columns.map((c) => ({ $ref: `#/parameters/rowFilter.${t.name}.${c.name}` }));
    const body = { name: t.name, description: t.name, required: false, in: 'body', schema: { $ref: `#/definitions/${t.name}` } };
    const item: Record<string, unknown> = {
      get: {
        tags: [t.name], ...(t.description ? { summary: t.description } : {}),
        parameters: [...rowFilters, { $ref: '#/parameters/select' }, { $ref: '#/parameters/order' }, { $ref: '#/parameters/range' }, { $ref: '#/parameters/rangeUnit' }, { $ref: '#/parameters/offset' }, { $ref: '#/parameters/limit' }, { $ref: '#/parameters/preferCount' }],
        responses: { 200: { description: 'OK', schema: { items: { $ref: `#/definitions/${t.name}` }, type: 'array' } }, 206: { description: 'Partial Content' } },
      },
    };
    if (t.insertable) item.post = { tags: [t.name], parameters: [body, { $ref: '#/parameters/select' }, { $ref: '#/parameters/preferPost' }], responses: { 201: { description: 'Created' } } };
    if (t.deletable) item.delete = { tags: [t.name], parameters: [...rowFilters, { $ref: '#/parameters/preferReturn' }], responses: { 204: { description: 'No Content' } } };
    if (t.updatable) item.patch = { tags: [t.name], parameters: [...rowFilters, body, { $ref: '#/parameters/preferReturn' }], responses: { 204: { description: 'No Content' } } };
    paths[`/${t.name}`] = item;
  }
  const fns = [...cache.functions.values()].flat().filter((f) => f.schema === schema).sort((a, b) => a.name.localeCompare(b.name));
  for (const f of fns) {
    if (paths[`/rpc/${f.name}`]) continue;
    const named = f.params.filter((p) => p.name);
    const argsSchema = {
      required: named.filter((p) => !p.hasDefault).map((p) => p.name),
      type: 'object',
      properties: Object.fromEntries(named.map((p) => [p.name, { format: p.type, ...jsonType(p.typname) }])),
    };
    const item: Record<string, unknown> = {
      post: {
        tags: ['(rpc) ' + f.name], ...(f.description ? { summary: f.description } : {}),
        parameters: [{ required: true, schema: argsSchema, in: 'body', name: 'args' }, { $ref: '#/parameters/preferParams' }],
        produces: ['application/json', 'application/vnd.pgrst.object+json'],
        responses: { 200: { description: 'OK' } },
      },
    };
    if (f.volatility !== 'v') {
      item.get = {
        tags: ['(rpc) ' + f.name], ...(f.description ? { summary: f.description } : {}),
        parameters: named.map((p) => ({ format: p.type, in: 'query', name: p.name, required: !p.hasDefault, type: jsonType(p.typname).type })),
        produces: ['application/json', 'application/vnd.pgrst.object+json'],
        responses: { 200: { description: 'OK' } },
      };
    }
    paths[`/rpc/${f.name}`] = item;
  }
  const description = cache.schemaDescriptions.get(schema);
  return {
    swagger: '2.0',
    info: { description: description ?? '', title: 'standard public schema', version },
    host,
    basePath: '/',
    schemes: ['http'],
    consumes: ['application/json', 'application/vnd.pgrst.object+json;nulls=stripped', 'application/vnd.pgrst.object+json', 'text/csv'],
    produces: ['application/json', 'application/vnd.pgrst.object+json;nulls=stripped', 'application/vnd.pgrst.object+json', 'text/csv'],
    paths,
    definitions,
    parameters,
    externalDocs: { description: 'PostgREST Documentation', url: 'https://postgrest.org/en/v12/references/api.html' },
  };
}
