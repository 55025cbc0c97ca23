import type { Hono } from 'hono';
import type { JSONWebKeySet } from 'jose';
import type { Env } from './request.ts';
import type { AuthSettings } from './settings.ts';

/** What the public, read-only routes need. */
export interface HealthDeps {
  settings: AuthSettings;
  /** The public halves of the signing keys. */
  jwks: JSONWebKeySet;
}

/** What clients read before signing in: `/health`, `/settings`, `/.well-known/jwks.json` (health.go, settings.go, jwks.go). */
export function healthRoutes(app: Hono<Env, any, any>, d: HealthDeps) {
  const { settings } = d;

  app.get('/health', (c) =>
    c.json({ version: 'lintel-local', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' }),
  );

  app.get('/settings', (c) =>
    c.json({
      external: {
        anonymous_users: settings.enableAnonymous,
        apple: false, azure: false, bitbucket: false, discord: false, facebook: false, snapchat: false, figma: false,
        fly: false, github: false, gitlab: false, google: false, keycloak: false, kakao: false, linkedin: false,
        linkedin_oidc: false, notion: false, spotify: false, slack: false, slack_oidc: false, workos: false,
        twitch: false, twitter: false, email: true, phone: false, zoom: false,
      },
      disable_signup: !settings.enableSignup,
      mailer_autoconfirm: settings.autoconfirm,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
      saml_private_key_next_configured: false,
      passkeys_enabled: false,
    }),
  );

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=600');
    return c.json(d.jwks);
  });
}
