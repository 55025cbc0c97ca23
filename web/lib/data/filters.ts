/**
 * PostgREST filter text for a person's search term: every column `ilike` the term anywhere,
 * joined with `or`. The term is quoted (PostgREST's reserved , . : ( ) stay literal) and LIKE's
 * own wildcards in it are escaped, so "50%" finds "50%", not everything.
 */
export function searchFilter(columns: readonly string[], term: string): string {
  const like = term.replace(/[\\%_]/g, (c) => `\\${c}`);
  const quoted = `"*${like.replace(/["\\]/g, (c) => `\\${c}`)}*"`;
  return columns.map((c) => `${c}.ilike.${quoted}`).join(',');
}

/** A list page's rows and the total they are a page of. */
export interface Page<Row> {
  rows: Row[];
  total: number;
}
