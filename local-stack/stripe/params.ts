import qs from 'qs';
import type Stripe from 'stripe';
import { fail } from './errors.ts';

/** A request's parameters as `qs` parses Stripe's form encoding (`metadata[lease]=…`, `expand[0]=…`). */
export type Params = Record<string, unknown>;

/**
 * Stripe clients send nested keys with bracket notation and arrays with indices; `qs` reads both.
 * Its default arrayLimit (20) would turn `line_items[20]` into an object, so it is raised.
 */
export function parseForm(text: string): Params {
  return qs.parse(text, { arrayLimit: 1000, depth: 20, parameterLimit: 10_000, allowDots: false }) as Params;
}

/** A sub-object (`payment_intent_data`, `recurring`), or an empty one. */
export function obj(p: Params, key: string): Params {
  const v = p[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : {};
}

/** An array parameter; `qs` gives an object for sparse or very long index lists, so both are read. */
export function arr(p: Params, key: string): unknown[] {
  const v = p[key];
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.values(v as Params);
  return v === undefined || v === '' ? [] : [v];
}

export function str(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail.invalid(key, `Invalid string: ${JSON.stringify(v)}`);
  return v;
}

export function requireStr(p: Params, key: string, path = key): string {
  const v = str(p, key);
  if (v === undefined) throw fail.missing(path);
  if (v === '') throw fail.empty(path);
  return v;
}

export function int(p: Params, key: string, path = key): number | undefined {
  const v = str(p, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw fail.notInteger(path, v);
  return Number(v);
}

export function requireInt(p: Params, key: string, path = key): number {
  const v = int(p, key, path);
  if (v === undefined) throw fail.missing(path);
  return v;
}

export function bool(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === true) return true;
  if (v === 'false' || v === false) return false;
  throw fail.invalid(key, `Invalid boolean: ${String(v)}`);
}

/** Optional enum: anything outside `allowed` is a 400 naming the accepted values, as Stripe does. */
export function oneOf<T extends string>(p: Params, key: string, allowed: readonly T[], path = key): T | undefined {
  const v = str(p, key);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw fail.invalid(path, `Invalid ${path}: must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** Metadata on create: string values only. */
export function metadata(p: Params, key = 'metadata'): Stripe.Metadata {
  const out: Stripe.Metadata = {};
  for (const [k, v] of Object.entries(obj(p, key))) if (v !== '') out[k] = String(v);
  return out;
}

/**
 * Metadata on update, merged as Stripe merges it: keys given are set, a key set to '' is
 * removed, and `metadata=''` clears everything.
 */
export function mergeMetadata(current: Stripe.Metadata | null, p: Params, key = 'metadata'): Stripe.Metadata {
  if (p[key] === undefined) return current ?? {};
  if (p[key] === '') return {};
  const out: Stripe.Metadata = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(obj(p, key))) {
    if (v === '') delete out[k];
    else out[k] = String(v);
  }
  return out;
}

/**
 * The payment method types a request allows: `allowed_payment_method_types` since API version
 * 2026-11-18 (stripe-node 23 removed `payment_method_types` from the create/confirm params of
 * PaymentIntents, SetupIntents and Checkout Sessions), or the older name from older clients.
 */
export function allowedTypes(p: Params): string[] | undefined {
  const list = arr(p, 'allowed_payment_method_types').map(String);
  const legacy = arr(p, 'payment_method_types').map(String);
  return list.length ? list : legacy.length ? legacy : undefined;
}

/** `expand[]` paths. */
export const expandPaths = (p: Params) => arr(p, 'expand').map(String);

/** A canonical form of the parameters, for comparing an idempotent retry with its original. */
export function fingerprint(method: string, path: string, p: Params): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Params)[k])]))
        : v;
  return JSON.stringify([method, path, sort(p)]);
}
