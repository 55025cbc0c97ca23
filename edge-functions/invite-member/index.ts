// Invites someone to the caller's org by email, or resends an invitation, and sends the email
// from the server. The caller's JWT rides along, so invite_member / resend_invitation run as the
// caller and the database decides who may invite which role. verify_jwt is on (config.toml).
import { userClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { inviteBody, inviteMember, resendBody, resendInvitation } from '../_shared/invitations.ts';
import { readJson, validate } from '../_shared/validate.ts';

// Where the app runs: invitation links point here. A secret on hosted projects; locally the
// address `npm start` serves the app on (config.toml's auth.site_url).
const siteUrl = () => Deno.env.get('SITE_URL') || 'http://127.0.0.1:5173';

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const raw = await readJson(req);
    // Validate before any call, so a bad body writes nothing.
    if (raw && typeof raw === 'object' && 'invitation_id' in raw) {
      const body = validate(resendBody, raw);
      return json(await resendInvitation(userClient(req), body.invitation_id, siteUrl()));
    }
    const body = validate(inviteBody, raw);
    return json(await inviteMember(userClient(req), body, siteUrl()), 201);
  }),
);
