import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

/**
 * A private signing JWK like `supabase gen signing-key --algorithm ES256|RS256` prints, for the
 * file `[auth] signing_keys_path` names (a JSON array; the first key signs).
 */
export async function generateSigningKey(alg: 'ES256' | 'RS256' = 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig', key_ops: ['sign', 'verify'], ext: true };
}

// `tsx local-stack/auth/signing-key.ts <file> [ES256|RS256]` writes a one-key file.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [file, alg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx local-stack/auth/signing-key.ts <file> [ES256|RS256]');
    process.exit(1);
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify([await generateSigningKey(alg === 'RS256' ? 'RS256' : 'ES256')], null, 2));
  console.log(`Wrote ${file}`);
}
