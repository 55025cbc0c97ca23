// Liveness of the functions runtime for uptime checks and the ops page; needs no JWT
// (verify_jwt = false in config.toml) and touches nothing but the runtime itself.
import { handler, json } from '../_shared/errors.ts';

Deno.serve(
  handler(() =>
    json({ status: 'ok', runtime: `deno ${Deno.version.deno}`, time: new Date().toISOString() }, 200, { 'Cache-Control': 'no-store' }),
  ),
);
