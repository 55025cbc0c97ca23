// Who the platform thinks the caller is: the verified claims of their access token, as the
// app and support staff need when a permission looks wrong. verify_jwt is on (config.toml).
import { verifiedClaims } from '../_shared/auth.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';

Deno.serve(
  handler((req) => {
    if (req.method !== 'GET' && req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use GET or POST.');
    const claims = verifiedClaims(req);
    return json({
      role: claims.role,
      user_id: claims.sub ?? null,
      email: claims.email ?? null,
      org_id: claims.org_id ?? null,
      org_role: claims.org_role ?? null,
      resident_id: claims.resident_id ?? null,
      is_anonymous: claims.is_anonymous ?? false,
      expires_at: claims.exp ?? null,
    });
  }),
);
