/**
 * The examples the API reference (`/openapi.json`, `/docs`) shows and builds its requests from: each a
 * request the service accepts as it stands, or an answer it could give (one story: alice tops up 1000,
 * a run holds 500 and uses 300). Without them the page fills a string with "" and an integer with its
 * minimum (-9007199254740991), which the service refuses or never answers.
 * `test/e2e/api-docs.test.ts` sends every example request and decodes every example answer. They
 * are shown as written, not encoded: a value whose JSON differs from its type (a total's bigint) is
 * written as its JSON.
 */

const at = "2026-01-31T12:00:00.000Z"
const inAnHour = "2026-01-31T13:00:00.000Z"

export const accountId = "alice"
export const idempotencyKey = "order-42"
export const holdIdempotencyKey = "run-42-hold"
export const webhookEndpointId = "we_5f1c2a9e8b7d4c3a2f1e0d9c8b7a6f5e"

export const topUp = { amount: 1000, ceiling: 5000, reference: "order-42", metadata: { order: 42 } }
export const spend = { amount: 300, mode: "exact", reference: "run-42", metadata: { job: 1 } }
export const hold = { amount: 500, expiresInSeconds: 3600, reference: "run-42" }
export const capture = { amount: 300, final: true }
export const refund = { amount: 100, reason: "dispute lost" }
export const adjustment = { amount: 250, reason: "goodwill", actor: "ops@example.com" }
export const settings = { overdraftLimit: 500 }
export const webhookEndpointRequest = { url: "https://example.com/tally" }
export const autoTopUp = { threshold: 100, amount: 500, ceiling: 2000 }
export const completeAutoTopUp = { paymentReference: "pi_3NqT" }
export const failAutoTopUp = { reason: "card_declined" }
export const refill = { amount: 1000, ceiling: 1000, schedule: { period: "monthly", dayOfMonth: 1 } }

export const entry = {
  accountId,
  sequence: 2,
  kind: "usage",
  decision: "Applied",
  requested: -300,
  amount: -300,
  balanceAfter: 700,
  idempotencyKey: "job-1",
  reference: "run-42",
  holdId: null,
  refundOf: null,
  reason: null,
  actor: null,
  overdrawn: false,
  metadata: { job: 1 },
  createdAt: at,
}

export const write = { entry, balance: 700 }

export const holdState = {
  accountId,
  holdId: 1,
  status: "open",
  requested: 500,
  amount: 500,
  captured: 0,
  excess: 0,
  reference: "run-42",
  metadata: {},
  expiresAt: inAnHour,
  createdAt: at,
  resolvedAt: null,
}

export const holdWrite = { hold: holdState, entry: null, balance: 1000, held: 500, available: 500 }
export const balance = {
  accountId,
  balance: 1000,
  held: 500,
  available: 500,
  expiresNext: { amount: 300, at: "2026-02-01T00:00:00.000Z" },
}
export const entries = { entries: [entry], nextCursor: null }
export const totals = { accountId, totals: [{ kind: "usage", entries: 2, amount: "-350" }] }
export const expired = { expired: 0 }
export const settingsState = { accountId, overdraftLimit: 500 }
export const audit = { accountsChecked: 1, entriesChecked: 2, violations: [] }
export const health = { status: "ok", storage: "postgres", database: "up" }

const autoTopUpRequestState = {
  accountId,
  requestId: 1,
  status: "open",
  amount: 500,
  amountConfigured: 500,
  threshold: 100,
  ceiling: 2000,
  availableAtOpen: 40,
  balanceAtOpen: 40,
  openedAt: at,
  expiresAt: "2026-02-01T12:00:00.000Z",
  resolvedAt: null,
  paymentReference: null,
  entrySequence: null,
  failureReason: null,
}

export const autoTopUpRequest = autoTopUpRequestState
export const autoTopUpStatus = {
  accountId,
  enabled: true,
  threshold: 100,
  amount: 500,
  ceiling: 2000,
  consecutiveFailures: 0,
  openRequestId: null,
}
export const autoTopUpPosting = {
  request: {
    ...autoTopUpRequestState,
    status: "completed",
    resolvedAt: at,
    paymentReference: "pi_3NqT",
    entrySequence: 3,
  },
  entry: {
    ...entry,
    sequence: 3,
    kind: "top-up",
    requested: 500,
    amount: 500,
    balanceAfter: 540,
    idempotencyKey: "pi_3NqT",
    reference: "auto-top-up:1",
    metadata: {},
  },
}
export const refillStatus = {
  accountId,
  enabled: true,
  amount: 1000,
  ceiling: 1000,
  schedule: { period: "monthly", dayOfMonth: 1 },
  lastPeriodStart: "2026-01-01T00:00:00.000Z",
  nextRefillAt: "2026-02-01T00:00:00.000Z",
}
export const refillRun = { refilled: 1, atCeiling: 0 }

export const events = {
  events: [
    {
      id: 1,
      type: "balance.low",
      accountId,
      createdAt: at,
      data: { threshold: 100, availableBefore: 150, availableAfter: 40, entrySequence: 2, holdId: null },
    },
  ],
  next: 1,
}

const webhookEndpoint = { id: webhookEndpointId, url: "https://example.com/tally", createdAt: at }
export const createdWebhookEndpoint = { ...webhookEndpoint, secret: "whsec_8d3f0c1b2a4e6f7a9b0c1d2e3f4a5b6c" }
export const webhookEndpoints = { endpoints: [webhookEndpoint] }
export const webhookDeleted = { id: webhookEndpointId, deleted: true }
export const webhookDeliveries = {
  deliveries: [
    {
      endpointId: webhookEndpointId,
      eventId: 1,
      eventType: "balance.low",
      status: "delivered",
      createdAt: at,
      nextAttemptAt: null,
      attempts: [{ attempt: 1, attemptedAt: at, durationMs: 12, statusCode: 200, error: null }],
    },
  ],
}
export const accounts = {
  accounts: [{ accountId, balance: 1000, held: 500, available: 500, entries: 2, lastEntryAt: at }],
  nextCursor: null,
}
export const openHolds = { holds: [holdState] }
