/** The password of every seeded demo login (see README, "Demo logins"). */
export const DEMO_PASSWORD = 'lintel-demo-password';
