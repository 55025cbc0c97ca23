import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { DEFAULT_JWT_SECRET, DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY, demoApiKey } from './keys.ts';
import { STRIPE_CONNECT_WEBHOOK_SECRET, STRIPE_DEFAULT_PORT, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET } from './stripe/keys.ts';

/** The repository root (the folder holding `supabase/`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Toml = Record<string, unknown>;

/** Everything a service of the local stack needs, resolved once from `supabase/config.toml`. */
export interface StackConfig {
  projectRoot: string;
  /** Folder holding this stack's state (database cluster, mail, storage bytes, pid files). */
  stateDir: string;
  /** When set, the stack uses this Postgres instead of starting the embedded one. */
  externalDbUrl?: string;
  host: string;
  ports: { api: number; db: number; mail: number; smtp: number; stripe: number };
  keys: {
    jwtSecret: string;
    anonKey: string;
    serviceRoleKey: string;
    publishableKey: string;
    secretKey: string;
  };
  api: { schemas: string[]; extraSearchPath: string[]; maxRows: number };
  auth: {
    siteUrl: string;
    additionalRedirectUrls: string[];
    jwtExpiry: number;
    /** The CLI's `signing_keys_path` (private JWKs for ES256/RS256 tokens), resolved; absent = HS256 only. */
    signingKeysPath?: string;
    /** The raw `[auth]` table, for the auth service's own settings. */
    raw: Toml;
  };
  /** The raw parsed file, for services whose settings this loader does not type yet. */
  toml: Toml;
}

export interface ConfigOverrides {
  stateDir?: string;
  externalDbUrl?: string;
  ports?: Partial<StackConfig['ports']>;
}

function table(t: Toml | undefined, key: string): Toml {
  const v = t?.[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Toml) : {};
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function strings(v: unknown, fallback: string[]): string[] {
  return Array.isArray(v) ? v.map(String) : fallback;
}

/** Deep-merges TOML tables: tables merge, everything else in `over` replaces. */
export function mergeTables(base: Toml, over: Toml): Toml {
  const out: Toml = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isTable = (x: unknown) => !!x && typeof x === 'object' && !Array.isArray(x);
    out[k] = isTable(v) && isTable(b) ? mergeTables(b as Toml, v as Toml) : v;
  }
  return out;
}

/** Reads `supabase/config.toml` the way the Supabase CLI does, with the CLI's defaults. */
export function loadConfig(overrides: ConfigOverrides = {}, projectRoot = PROJECT_ROOT): StackConfig {
  const file = path.join(projectRoot, 'supabase', 'config.toml');
  if (!existsSync(file)) throw new Error(`No supabase/config.toml in ${projectRoot}.`);
  let toml: Toml;
  try {
    toml = parse(readFileSync(file, 'utf8')) as Toml;
  } catch (err) {
    throw new Error(`supabase/config.toml is not valid TOML: ${(err as Error).message}`);
  }
  const api = table(toml, 'api');
  const db = table(toml, 'db');
  const smtp = table(toml, 'local_smtp');
  let auth = table(toml, 'auth');
  // A dev or test stack with other auth settings (the upstream auth-js suite needs autoconfirm,
  // anonymous sign-ins, ...) without editing the project's config.toml.
  if (process.env.LINTEL_AUTH_CONFIG) {
    const extra = path.resolve(process.env.LINTEL_AUTH_CONFIG);
    if (!existsSync(extra)) throw new Error(`LINTEL_AUTH_CONFIG names ${extra}, which does not exist.`);
    auth = mergeTables(auth, table(parse(readFileSync(extra, 'utf8')) as Toml, 'auth'));
  }
  const jwtSecret = typeof auth.jwt_secret === 'string' ? auth.jwt_secret : DEFAULT_JWT_SECRET;
  return {
    projectRoot,
    stateDir: overrides.stateDir ?? path.join(projectRoot, '.lintel', 'dev'),
    externalDbUrl: overrides.externalDbUrl,
    host: '127.0.0.1',
    ports: {
      api: overrides.ports?.api ?? num(api.port, 54321),
      db: overrides.ports?.db ?? num(db.port, 54322),
      mail: overrides.ports?.mail ?? num(smtp.port, 54324),
      // The Supabase CLI's Mailpit takes SMTP on 54325.
      smtp: overrides.ports?.smtp ?? num(smtp.smtp_port, 54325),
      stripe: overrides.ports?.stripe ?? STRIPE_DEFAULT_PORT,
    },
    keys: {
      jwtSecret,
      anonKey: demoApiKey(jwtSecret, 'anon'),
      serviceRoleKey: demoApiKey(jwtSecret, 'service_role'),
      publishableKey: DEFAULT_PUBLISHABLE_KEY,
      secretKey: DEFAULT_SECRET_KEY,
    },
    api: {
      schemas: strings(api.schemas, ['public', 'graphql_public']),
      extraSearchPath: strings(api.extra_search_path, ['public', 'extensions']),
      maxRows: num(api.max_rows, 1000),
    },
    auth: {
      siteUrl: typeof auth.site_url === 'string' ? auth.site_url : 'http://127.0.0.1:3000',
      additionalRedirectUrls: strings(auth.additional_redirect_urls, []),
      jwtExpiry: num(auth.jwt_expiry, 3600),
      signingKeysPath:
        typeof auth.signing_keys_path === 'string' && auth.signing_keys_path
          ? path.resolve(projectRoot, 'supabase', auth.signing_keys_path)
          : undefined,
      raw: auth,
    },
    toml,
  };
}

/** The database URL the stack's services and the CLI use. */
export function dbUrl(config: StackConfig): string {
  return config.externalDbUrl ?? `postgresql://postgres:postgres@${config.host}:${config.ports.db}/postgres`;
}

/** `supabase status -o env` names, as printed by `npm run stack:status`. */
export function statusVariables(config: StackConfig): Record<string, string> {
  const api = `http://${config.host}:${config.ports.api}`;
  return {
    API_URL: api,
    REST_URL: `${api}/rest/v1`,
    GRAPHQL_URL: `${api}/graphql/v1`,
    FUNCTIONS_URL: `${api}/functions/v1`,
    STORAGE_URL: `${api}/storage/v1`,
    REALTIME_URL: `ws://${config.host}:${config.ports.api}/realtime/v1`,
    DB_URL: dbUrl(config),
    MAIL_URL: `http://${config.host}:${config.ports.mail}`,
    INBUCKET_URL: `http://${config.host}:${config.ports.mail}`,
    SMTP_HOST: config.host,
    SMTP_PORT: String(config.ports.smtp),
    JWT_SECRET: config.keys.jwtSecret,
    ANON_KEY: config.keys.anonKey,
    SERVICE_ROLE_KEY: config.keys.serviceRoleKey,
    PUBLISHABLE_KEY: config.keys.publishableKey,
    SECRET_KEY: config.keys.secretKey,
    // The Stripe double (local-stack/stripe/): functions use it when STRIPE_API_URL is set.
    STRIPE_API_URL: `http://${config.host}:${config.ports.stripe}`,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    STRIPE_CONNECT_WEBHOOK_SECRET,
    // Read by the upstream auth-js harness (/work/shared/upstream): the private JWKs it signs
    // its own keys with, present only when the stack signs with asymmetric keys.
    ...(config.auth.signingKeysPath ? { JWT_SIGNING_KEYS: config.auth.signingKeysPath } : {}),
  };
}
