import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, attempt, rolledBack, type Tx } from './db.ts';
import { fixtures, login, other, ROLES, type OrgFixture, type OrgKey } from './fixtures.ts';
import { TABLES, type MakeCtx, type Row } from './tables.ts';

type Cell = 'all' | 'own' | 'none';
const OPS = ['select', 'insert', 'update', 'delete'] as const;
type Op = (typeof OPS)[number];
const CALLERS = [...ROLES, 'anon'] as const;
type Caller = (typeof CALLERS)[number];

/** tests/db/permission-matrix.csv: table × operation × caller → all | own | none. */
function readMatrix(): Map<string, Record<Caller, Cell>> {
  const text = readFileSync(path.join(import.meta.dirname, 'permission-matrix.csv'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const header = lines.shift()!.split(',');
  const out = new Map<string, Record<Caller, Cell>>();
  for (const line of lines) {
    const cells = line.split(',');
    const rec = {} as Record<Caller, Cell>;
    header.slice(2).forEach((h, i) => {
      const v = cells[i + 2] as Cell;
      if (!['all', 'own', 'none'].includes(v)) throw new Error(`bad cell ${v} in ${line}`);
      rec[h as Caller] = v;
    });
    out.set(`${cells[0]}:${cells[1]}`, rec);
  }
  return out;
}

const matrix = readMatrix();
const lit = (v: string | null | undefined) => (v ? `'${v}'::uuid` : 'null::uuid');
const fill = (sql: string, org: string, user: string | null, resident: string | null) =>
  sql.replaceAll(':org', lit(org)).replaceAll(':user', lit(user)).replaceAll(':resident', lit(resident));
const where = (key: Row) =>
  Object.keys(key)
    .map((k, i) => `t.${k} = $${i + 1}`)
    .join(' and ');

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

describe('the permission matrix file', () => {
  it('covers every table in public and every operation', async () => {
    const tables = await rolledBack(async (c) =>
      (await c.query(`select tablename from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.tablename as string),
    );
    expect(tables.sort()).toEqual(Object.keys(TABLES).sort());
    for (const t of tables) for (const op of OPS) expect(matrix.has(`${t}:${op}`), `${t}:${op}`).toBe(true);
  });
});

for (const org of ['acme', 'birch'] as OrgKey[]) {
  describe(`${org}: own-org access follows the matrix and the other org stays invisible`, () => {
    for (const [table, spec] of Object.entries(TABLES)) {
      for (const caller of CALLERS) {
        it(`${table} as ${caller}`, async () => {
          const f = F[org];
          const g = F[other(org)];
          const userId = caller === 'anon' ? null : f.users[caller];
          const residentId = caller === 'resident' ? f.residentId : null;
          const own: MakeCtx = { f, userId, ownOrg: true };
          const foreign: MakeCtx = { f: g, userId, ownOrg: false };
          const who = caller === 'anon' ? 'anon' : login(caller, org);
          const cell = (op: Op) => matrix.get(`${table}:${op}`)![caller];
          const sql = (s: string) => fill(s, f.id, userId, residentId);
          const ctx = `${table} ${caller} in ${org}`;

          // select: exactly the rows the matrix grants, and nothing of the other org.
          await rolledBack(async (c) => {
            const mine = await spec.make(c, own, true);
            const theirs = await spec.make(c, own, false);
            await spec.make(c, foreign, false);
            const count = async (pred: string) => Number((await c.query(`select count(*) as n from public.${table} t where ${pred}`)).rows[0].n);
            const expected =
              cell('select') === 'all' ? await count(sql(spec.scope)) : cell('select') === 'own' ? await count(sql(spec.own)) : 0;
            const otherOrg = `(${fill(spec.scope, g.id, null, null)}) and not (${sql(spec.scope)})`;
            const seen = async (key: Row) => Number((await c.query(`select count(*) as n from public.${table} t where ${where(key)}`, Object.values(key))).rows[0].n);
            await actAs(c, who);
            const all = await attempt<{ n: string }>(c, `select count(*) as n from public.${table} t`);
            if (all.code) {
              // anon holds no table privileges at all: refused outright, which is "nothing" too.
              expect([cell('select'), all.code], `${ctx}: select refused (${all.message})`).toEqual(['none', '42501']);
              return;
            }
            const visible = Number(all.rows[0]!.n);
            const foreignVisible = Number((await c.query(`select count(*) as n from public.${table} t where ${otherOrg}`)).rows[0].n);
            expect(foreignVisible, `${ctx}: other org's rows visible`).toBe(0);
            expect(visible, `${ctx}: visible rows`).toBe(expected);
            if (cell('select') !== 'none' && table !== 'organizations' && !(cell('select') === 'own' && spec.own === 'false')) {
              expect(await seen(mine), `${ctx}: own row visible`).toBe(1);
            }
            if (table !== 'organizations') expect(await seen(theirs), `${ctx}: someone else's row`).toBe(cell('select') === 'all' ? 1 : 0);
          });

          // insert: allowed rows go in; denied ones and any row for the other org are refused.
          const tryInsert = async (x: MakeCtx, mine: boolean) =>
            rolledBack(async (c) => {
              const row = await spec.row(c, x, mine);
              await actAs(c, who);
              const cols = Object.keys(row);
              return attempt(
                c,
                `insert into public.${table} (${cols.join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
                Object.values(row),
              );
            });
          const ins = cell('insert');
          const mainInsert = await tryInsert(own, ins === 'own');
          if (ins === 'none') expect(mainInsert.code, `${ctx}: insert refused (${mainInsert.message})`).toBe('42501');
          else expect(mainInsert.code, `${ctx}: insert allowed (${mainInsert.message})`).toBeUndefined();
          if (ins === 'own') {
            const twin = await tryInsert(own, false);
            expect(twin.code, `${ctx}: insert for someone else refused`).toBe('42501');
          }
          if (table !== 'organizations') {
            const cross = await tryInsert(foreign, false);
            expect(cross.code, `${ctx}: insert into other org refused (${cross.message})`).toBe('42501');
          }

          // update and delete: count the rows changed.
          for (const op of ['update', 'delete'] as const) {
            const change = async (x: MakeCtx, mine: boolean) =>
              rolledBack(async (c: Tx) => {
                const key = await spec.make(c, x, mine);
                await actAs(c, who);
                const stmt =
                  op === 'update'
                    ? `update public.${table} as t set ${spec.set} where ${where(key)} returning 1`
                    : `delete from public.${table} as t where ${where(key)} returning 1`;
                return attempt(c, stmt, Object.values(key));
              });
            const allowed = cell(op);
            const main = await change(own, allowed === 'own');
            if (allowed === 'none') {
              expect(main.rows.length, `${ctx}: ${op} changes nothing (${main.message})`).toBe(0);
              if (main.code) expect(main.code, `${ctx}: ${op} refusal code`).toMatch(/^(42501|LT409)$/);
            } else {
              expect(main.code, `${ctx}: ${op} allowed (${main.message})`).toBeUndefined();
              expect(main.rows.length, `${ctx}: ${op} changes the row`).toBe(1);
            }
            if (allowed === 'own') {
              const twin = await change(own, false);
              expect(twin.rows.length, `${ctx}: ${op} of someone else's row`).toBe(0);
            }
            const cross = await change(foreign, false);
            expect(cross.rows.length, `${ctx}: ${op} in other org (${cross.message})`).toBe(0);
          }
        });
      }
    }
  });
}
