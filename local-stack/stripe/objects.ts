// Builders for the objects the double returns (one module per family of resources under objects/,
// re-exported here for the routes), each typed with the `stripe` package's own type so
// `tsc` proves the shape. Fields Lintel does not set take the values Stripe's published fixtures
// (stripe/openapi `openapi/fixtures3.json`) show for a fresh test-mode object. Where a fixture
// fills a nullable field with a placeholder to show its shape (`next_action: {type: "type"}`,
// `transfer_data: {destination: …}`, `last_payment_error: {type: "idempotency_error"}`), the
// builder keeps it null: that is what a fresh object of that state carries.
export * from './objects/billing.ts';
export * from './objects/checkout.ts';
export * from './objects/connect.ts';
export * from './objects/customers.ts';
export * from './objects/payments.ts';
