// A parser for the text `test_decoding` writes (built into every PostgreSQL, unlike wal2json),
// hand-written because no npm library parses it.

export interface ColumnValue {
  name: string;
  /** `format_type` spelling, e.g. `integer`, `timestamp with time zone`, `text[]`. */
  type: string;
  /** Text form; null for SQL NULL; undefined for an unchanged TOAST value. */
  value: string | null | undefined;
}

export interface Change {
  schema: string;
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  columns: ColumnValue[];
  oldColumns: ColumnValue[] | undefined;
}

/** `2026-11-24 07:00:00.123+00` → `2026-11-24T07:00:00.123Z`. */
export function toIso(pgTimestamp: string): string {
  const d = new Date(pgTimestamp.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? pgTimestamp : d.toISOString();
}

const OPS = ['INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * One `test_decoding` change line (`table <schema>.<name>: <OP>: <columns>`); undefined for
 * TRUNCATE, lines of unwanted tables and anything unrecognised.
 */
export function parseChange(line: string, wants: (schema: string, table: string) => boolean = () => true): Change | undefined {
  if (!line.startsWith('table ')) return undefined;
  // The name ends at the first ': ' followed by an operation (names are quoted if unusual).
  let nameEnd = -1;
  let op: Change['op'] | undefined;
  for (let i = line.indexOf(': ', 6); i !== -1; i = line.indexOf(': ', i + 1)) {
    op = OPS.find((o) => line.startsWith(`${o}:`, i + 2));
    if (op || line.startsWith('TRUNCATE:', i + 2)) {
      nameEnd = i;
      break;
    }
  }
  if (nameEnd === -1 || !op) return undefined;
  const [schema, table] = splitQualified(line.slice(6, nameEnd));
  if (!wants(schema, table)) return undefined;
  const rest = line.slice(nameEnd + 2 + op.length + 2);
  if (op === 'UPDATE') {
    const sections = parseColumns(rest);
    return { schema, table, op, columns: sections.main, oldColumns: sections.old };
  }
  if (op === 'DELETE') {
    return { schema, table, op, columns: [], oldColumns: rest.startsWith('(no-tuple data)') ? [] : parseColumns(rest).main };
  }
  return { schema, table, op, columns: parseColumns(rest).main, oldColumns: undefined };
}

/** A double-quoted identifier starting at `s[start]` (`""` is a quote): its text and the index after it. */
function readQuoted(s: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < s.length) {
    if (s[i] === '"' && s[i + 1] === '"') {
      out += '"';
      i += 2;
    } else if (s[i] === '"') {
      return [out, i + 1];
    } else out += s[i++];
  }
  return [out, i];
}

function splitQualified(name: string): [string, string] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      const [s, next] = readQuoted(name, i);
      parts.push(s);
      i = next;
    } else {
      const dot = name.indexOf('.', i);
      const end = dot === -1 ? name.length : dot;
      parts.push(name.slice(i, end));
      i = end;
    }
    if (name[i] === '.') i++;
  }
  return [parts[0] ?? 'public', parts[1] ?? parts[0] ?? ''];
}

/** Columns of a change; an UPDATE with an old key carries `old-key:` and `new-tuple:` sections. */
function parseColumns(s: string): { main: ColumnValue[]; old: ColumnValue[] | undefined } {
  const main: ColumnValue[] = [];
  let old: ColumnValue[] | undefined;
  let out = main;
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    if (s.startsWith('old-key: ', i)) {
      old = [];
      out = old;
      i += 'old-key: '.length;
      continue;
    }
    if (s.startsWith('new-tuple: ', i)) {
      out = main;
      i += 'new-tuple: '.length;
      continue;
    }
    let name: string;
    if (s[i] === '"') {
      [name, i] = readQuoted(s, i);
    } else {
      const b = s.indexOf('[', i);
      name = s.slice(i, b);
      i = b;
    }
    // `[type]:` where the type itself may end in `[]`.
    const typeEnd = s.indexOf(']:', i);
    if (typeEnd === -1) break;
    const type = s.slice(i + 1, typeEnd);
    i = typeEnd + 2;
    let value: string | null | undefined;
    if (s[i] === "'") {
      i++;
      let v = '';
      while (i < s.length) {
        if (s[i] === "'" && s[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else v += s[i++];
      }
      value = v;
    } else {
      const sp = s.indexOf(' ', i);
      const end = sp === -1 ? s.length : sp;
      const token = s.slice(i, end);
      i = end;
      value = token === 'null' ? null : token === 'unchanged-toast-datum' ? undefined : token;
    }
    out.push({ name, type, value });
  }
  return { main, old };
}
