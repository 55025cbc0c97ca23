// Errors as Supabase Auth (GoTrue) sends them: supabase/auth internal/api/errors.go
// (HandleResponseError) and internal/api/apierrors. Requests that carry
// `X-Supabase-Api-Version: 2024-01-01` (auth-js always sends it) get `{code, message}` and the
// version echoed back; older clients get `{code: <status>, error_code, msg}`. Both get
// `x-sb-error-code`.

/** The API version header auth-js sends and reads (auth-js src/lib/constants.ts). */
export const API_VERSION_HEADER = 'x-supabase-api-version';
export const API_VERSION_2024 = '2024-01-01';

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra top-level fields (weak_password reasons). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** GoTrue's error codes (apierrors/errorcode.go) with the messages it uses for them. */
export const E = {
  badJson: (detail: string) => new AuthError(400, 'bad_json', `Could not parse request body as JSON: ${detail}`),
  validation: (msg: string, status = 400) => new AuthError(status, 'validation_failed', msg),
  invalidCredentials: () => new AuthError(400, 'invalid_credentials', 'Invalid login credentials'),
  emailNotConfirmed: () => new AuthError(400, 'email_not_confirmed', 'Email not confirmed'),
  userBanned: (prefix = '') => new AuthError(prefix ? 400 : 403, 'user_banned', `${prefix}User is banned`),
  signupDisabled: () => new AuthError(422, 'signup_disabled', 'Signups not allowed for this instance'),
  anonymousDisabled: () => new AuthError(422, 'anonymous_provider_disabled', 'Anonymous sign-ins are disabled'),
  userExists: () => new AuthError(422, 'user_already_exists', 'User already registered'),
  emailExists: () => new AuthError(422, 'email_exists', 'A user with this email address has already been registered'),
  refreshNotFound: () => new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
  refreshAlreadyUsed: () => new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used'),
  sessionExpired: () => new AuthError(400, 'session_expired', 'Invalid Refresh Token: Session Expired'),
  sessionNotFound: () => new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist'),
  userNotFoundFromJwt: () => new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist'),
  userNotFound: () => new AuthError(404, 'user_not_found', 'User not found'),
  noAuthorization: () => new AuthError(401, 'no_authorization', 'This endpoint requires a valid Bearer token'),
  badJwt: (detail: string) => new AuthError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${detail}`),
  notAdmin: () => new AuthError(403, 'not_admin', 'User not allowed'),
  otpExpired: (link = false) =>
    new AuthError(403, 'otp_expired', link ? 'Email link is invalid or has expired' : 'Token has expired or is invalid'),
  otpDisabled: () => new AuthError(422, 'otp_disabled', 'Signups not allowed for otp'),
  samePassword: () => new AuthError(422, 'same_password', 'New password should be different from the old password.'),
  rateLimited: () => new AuthError(429, 'over_request_rate_limit', 'Request rate limit reached'),
  emailRateLimited: () => new AuthError(429, 'over_email_send_rate_limit', 'Email rate limit exceeded'),
  frequency: (secs: number) =>
    new AuthError(429, 'over_email_send_rate_limit', `For security purposes, you can only request this after ${secs} seconds.`),
  flowStateNotFound: () => new AuthError(404, 'flow_state_not_found', 'invalid flow state, no valid flow state found'),
  flowStateExpired: () => new AuthError(400, 'flow_state_expired', 'invalid flow state, flow state has expired'),
  badCodeVerifier: () => new AuthError(400, 'bad_code_verifier', 'code challenge does not match previously saved code verifier'),
  unsupportedGrant: () => new AuthError(400, 'unsupported_grant_type', 'unsupported_grant_type'),
  notFound: () => new AuthError(404, 'not_found', 'Not found'),
  noEmailRedirect: () => new AuthError(400, 'validation_failed', 'Unsupported verification type'),
  factorNotFound: () => new AuthError(404, 'mfa_factor_not_found', 'Factor not found'),
  challengeNotFound: () => new AuthError(404, 'mfa_challenge_not_found', 'Challenge not found'),
  challengeExpired: (id: string) => new AuthError(422, 'mfa_challenge_expired', `MFA challenge ${id} has expired, verify against another challenge or create a new factor.`),
  mfaVerificationFailed: () => new AuthError(422, 'mfa_verification_failed', 'Invalid TOTP code entered'),
  insufficientAal: (msg: string) => new AuthError(403, 'insufficient_aal', msg),
  tooManyFactors: () => new AuthError(422, 'too_many_enrolled_mfa_factors', 'Maximum number of verified factors reached, unenroll to continue'),
  factorNameConflict: (name: string) =>
    new AuthError(422, 'mfa_factor_name_conflict', `A factor with the friendly name "${name}" for this user already exists`),
  mfaEnrollDisabled: () => new AuthError(422, 'mfa_totp_enroll_not_enabled', 'MFA enroll is disabled for TOTP'),
  mfaVerifyDisabled: () => new AuthError(422, 'mfa_totp_verify_not_enabled', 'MFA verification is disabled for TOTP'),
  emailAddressInvalid: () => new AuthError(400, 'email_address_invalid', 'Unable to validate email address: invalid format'),
  phoneDisabled: () => new AuthError(400, 'phone_provider_disabled', 'Phone signups are disabled'),
  unexpected: (msg = 'Unexpected failure, please check server logs for more information') => new AuthError(500, 'unexpected_failure', msg),
};

/** Whether the request asked for the 2024-01-01 error shape (any valid date at or after it). */
export function wantsNewShape(req: Request): boolean {
  const v = req.headers.get(API_VERSION_HEADER);
  return !!v && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= API_VERSION_2024;
}

/** The response GoTrue sends for an error. */
export function errorResponse(req: Request, err: AuthError): Response {
  const headers = new Headers({ 'content-type': 'application/json' });
  headers.set('x-sb-error-code', err.code);
  let body: Record<string, unknown>;
  if (wantsNewShape(req)) {
    headers.set(API_VERSION_HEADER, API_VERSION_2024);
    body = { code: err.code, message: err.message, ...err.extra };
  } else {
    body = { code: err.status, error_code: err.code, msg: err.message, ...err.extra };
  }
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
