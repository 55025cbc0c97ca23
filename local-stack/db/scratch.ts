import pg from 'pg';
import { bootstrapPlatform } from './bootstrap.ts';
import { pushMigrations } from './migrate.ts';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database beside `adminUrl`'s holding exactly the platform and the migrations: what
 * generated types and advisors describe, whatever else a developer's database has collected.
 */
export async function createMigratedScratch(projectRoot: string, adminUrl: string, name = `lintel_scratch_${process.pid}`): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad scratch database name ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = () => asAdmin(adminUrl, `drop database if exists ${name} with (force)`);
  await drop();
  await asAdmin(adminUrl, `create database ${name}`);
  try {
    await bootstrapPlatform(url.toString());
    await pushMigrations({ projectRoot, dbUrl: url.toString(), seed: false });
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), drop };
}
