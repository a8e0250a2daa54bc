import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"

/**
 * The schema, versioned. The database re-checks what the core guarantees: every entry's running
 * balance follows from the previous entry's (a foreign key on the chain), the stored balance is the
 * newest entry's, bounds and signs hold, sequences and idempotency keys are unique per account.
 * Checks that span tables are deferred to commit, where a whole batch is in place.
 */
const initialSchema = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE accounts (
      account_id text PRIMARY KEY CHECK (account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
      balance bigint NOT NULL DEFAULT 0 CHECK (balance <= 9007199254740991),
      last_sequence bigint CHECK (last_sequence >= 1),
      overdraft_limit bigint NOT NULL DEFAULT 0 CHECK (overdraft_limit BETWEEN 0 AND 9007199254740991),
      CHECK (balance >= -overdraft_limit),
      CHECK (last_sequence IS NOT NULL OR balance = 0)
    )`
  yield* sql`
    CREATE TABLE entries (
      account_id text NOT NULL REFERENCES accounts,
      sequence bigint NOT NULL CHECK (sequence >= 1),
      kind text NOT NULL CHECK (kind IN ('top-up', 'grant', 'refund', 'adjustment', 'usage')),
      decision text NOT NULL CHECK (decision IN ('Applied', 'Clamped')),
      requested bigint NOT NULL,
      amount bigint NOT NULL,
      balance_after bigint NOT NULL CHECK (balance_after BETWEEN -9007199254740991 AND 9007199254740991),
      balance_before bigint GENERATED ALWAYS AS (balance_after - amount) STORED,
      previous_sequence bigint GENERATED ALWAYS AS (NULLIF(sequence - 1, 0)) STORED,
      idempotency_key text,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, sequence),
      UNIQUE (account_id, sequence, balance_after),
      CHECK (amount <> 0 AND sign(amount) = sign(requested) AND abs(amount) <= abs(requested)),
      CHECK ((decision = 'Applied') = (amount = requested)),
      CHECK (sequence > 1 OR balance_after = amount),
      FOREIGN KEY (account_id, previous_sequence, balance_before)
        REFERENCES entries (account_id, sequence, balance_after) DEFERRABLE INITIALLY DEFERRED
    )`
  yield* sql`CREATE UNIQUE INDEX entries_idempotency_key ON entries (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL`
  yield* sql`
    ALTER TABLE accounts ADD FOREIGN KEY (account_id, last_sequence, balance)
      REFERENCES entries (account_id, sequence, balance_after) DEFERRABLE INITIALLY DEFERRED`
  yield* sql`
    CREATE TABLE idempotency_keys (
      account_id text NOT NULL,
      idempotency_key text NOT NULL,
      fingerprint text NOT NULL,
      entry_sequence bigint,
      refusal jsonb,
      PRIMARY KEY (account_id, idempotency_key),
      CHECK ((entry_sequence IS NULL) <> (refusal IS NULL)),
      FOREIGN KEY (account_id, entry_sequence) REFERENCES entries (account_id, sequence) DEFERRABLE INITIALLY DEFERRED
    )`
})

/**
 * Every write carries an operation id, stored with what it wrote (its entry, or the idempotency
 * record of a refused keyed write): when the connection drops during COMMIT, finding these rows
 * tells whether the write landed. Rows written before this migration have none.
 */
const operationIds = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE entries ADD COLUMN operation_id uuid`
  yield* sql`ALTER TABLE idempotency_keys ADD COLUMN operation_id uuid`
})

/**
 * The event feed (a transactional outbox): events are written in the transaction of the change that
 * causes them. `transaction_id` is the writing transaction's id, assigned in it; readers order the
 * feed by it and read only transactions that have ended (see `PgEvents`). Event types and account
 * ids are checked as entries' are; the operation id finds an attempt's events after an unknown commit.
 */
const events = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      type text NOT NULL CHECK (type IN ('balance.low', 'auto_top_up.requested', 'auto_top_up.completed',
        'auto_top_up.failed', 'auto_top_up.expired', 'auto_top_up.disabled', 'refill.applied')),
      account_id text NOT NULL CHECK (account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
      data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
      created_at timestamptz NOT NULL,
      operation_id uuid
    )`
  yield* sql`CREATE INDEX events_feed ON events (transaction_id, id)`
})

/**
 * Webhook endpoints, a delivery per endpoint and event, and every attempt. An endpoint keeps the last
 * event of the feed it has queued; a pending delivery is due at `next_attempt_at` (a claim moves it
 * forward by a lease). Secrets are stored as given: the HMAC needs them.
 */
const webhooks = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY CHECK (id ~ '^we_[0-9a-f]{32}$'),
      url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
      secret text NOT NULL CHECK (length(secret) BETWEEN 16 AND 255),
      created_at timestamptz NOT NULL,
      after_event_id bigint NOT NULL CHECK (after_event_id >= 0)
    )`
  yield* sql`
    CREATE TABLE webhook_deliveries (
      endpoint_id text NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
      event_id bigint NOT NULL REFERENCES events,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      created_at timestamptz NOT NULL,
      next_attempt_at timestamptz,
      claims integer NOT NULL DEFAULT 0 CHECK (claims >= 0),
      PRIMARY KEY (endpoint_id, event_id),
      CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
    )`
  yield* sql`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`
  yield* sql`
    CREATE TABLE webhook_attempts (
      endpoint_id text NOT NULL,
      event_id bigint NOT NULL,
      attempt integer NOT NULL CHECK (attempt >= 1),
      attempted_at timestamptz NOT NULL,
      duration_ms integer NOT NULL CHECK (duration_ms >= 0),
      status_code integer CHECK (status_code BETWEEN 100 AND 599),
      error text,
      PRIMARY KEY (endpoint_id, event_id, attempt),
      FOREIGN KEY (endpoint_id, event_id) REFERENCES webhook_deliveries ON DELETE CASCADE
    )`
})

/**
 * Brings the schema up to date. Idempotent, and safe when several processes run it at once: the
 * migrator takes an exclusive lock on its table and skips what another run already applied.
 */
export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord({
    "1_initial_schema": initialSchema,
    "2_operation_ids": operationIds,
    "4_events": events,
    "5_webhooks": webhooks,
  }),
  table: "tally_migrations",
})
