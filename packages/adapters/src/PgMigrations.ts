import * as Effect from "effect/Effect"
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
 * Holds, corrections and history. Accounts keep what their open holds reserve (`held`) and how many
 * holds they placed; a balance may now go below the floor (a refund, a forced removal, a capture
 * that allows debt), so that check gives way to the smallest balance. Entries gain their links (a
 * capture's hold, a refund's entry), an adjustment's reason and actor, the caller's reference and
 * whether they overdrew the account. The incoming kind `refund` becomes `reversal` (a refund is now
 * a debit), in entries and in the fingerprints of keys that recorded it, so their retries still
 * replay. Idempotency keys may record a hold operation's outcome.
 */
const holdsCorrectionsHistory = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE accounts
      ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held BETWEEN 0 AND 9007199254740991),
      ADD COLUMN holds_placed bigint NOT NULL DEFAULT 0 CHECK (holds_placed >= 0),
      DROP CONSTRAINT accounts_check,
      ADD CHECK (balance >= -9007199254740991)`
  yield* sql`
    CREATE TABLE holds (
      account_id text NOT NULL REFERENCES accounts,
      hold_id bigint NOT NULL CHECK (hold_id >= 1),
      status text NOT NULL CHECK (status IN ('open', 'captured', 'released', 'expired')),
      requested bigint NOT NULL CHECK (requested BETWEEN 1 AND 9007199254740991),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND requested),
      captured bigint NOT NULL CHECK (captured BETWEEN 0 AND amount),
      excess bigint NOT NULL CHECK (excess >= 0 AND (excess = 0 OR status = 'captured')),
      reference text,
      metadata jsonb NOT NULL DEFAULT '{}',
      expires_at timestamptz,
      created_at timestamptz NOT NULL,
      resolved_at timestamptz,
      PRIMARY KEY (account_id, hold_id),
      CHECK ((status = 'open') = (resolved_at IS NULL))
    )`
  yield* sql`CREATE INDEX holds_due ON holds (expires_at) WHERE status = 'open' AND expires_at IS NOT NULL`
  yield* sql`
    ALTER TABLE entries
      ADD COLUMN reference text,
      ADD COLUMN hold_id bigint,
      ADD COLUMN refund_of bigint,
      ADD COLUMN reason text,
      ADD COLUMN actor text,
      ADD COLUMN overdrawn boolean NOT NULL DEFAULT false,
      DROP CONSTRAINT entries_kind_check`
  yield* sql`UPDATE entries SET kind = 'reversal' WHERE kind = 'refund'`
  yield* sql`
    UPDATE idempotency_keys
    SET fingerprint = regexp_replace(fingerprint, '^(\\{"amount":[0-9]+,"ceiling":(null|[0-9]+),)"kind":"refund"', '\\1"kind":"reversal"')
    WHERE fingerprint ~ '^\\{"amount":[0-9]+,"ceiling":(null|[0-9]+),"kind":"refund"'`
  yield* sql`
    ALTER TABLE entries
      ADD CHECK (kind IN ('top-up', 'grant', 'reversal', 'usage', 'refund', 'adjustment')),
      ADD CHECK (CASE kind WHEN 'usage' THEN amount < 0 WHEN 'refund' THEN amount < 0 WHEN 'adjustment' THEN true
                 ELSE amount > 0 END),
      ADD CHECK ((kind = 'refund') = (refund_of IS NOT NULL) AND refund_of < sequence),
      ADD CHECK (hold_id IS NULL OR kind = 'usage'),
      ADD FOREIGN KEY (account_id, refund_of) REFERENCES entries (account_id, sequence),
      ADD FOREIGN KEY (account_id, hold_id) REFERENCES holds (account_id, hold_id) DEFERRABLE INITIALLY DEFERRED`
  // History: by time across accounts, by reference, and the refunds of an entry.
  yield* sql`CREATE INDEX entries_created_at ON entries (created_at)`
  yield* sql`CREATE INDEX entries_reference ON entries (reference, account_id) WHERE reference IS NOT NULL`
  yield* sql`CREATE INDEX entries_refunds ON entries (account_id, refund_of) WHERE refund_of IS NOT NULL`
  yield* sql`
    ALTER TABLE idempotency_keys
      ADD COLUMN outcome jsonb,
      DROP CONSTRAINT idempotency_keys_check,
      ADD CHECK ((refusal IS NULL) = (entry_sequence IS NOT NULL OR outcome IS NOT NULL)),
      ADD CHECK (refusal IS NULL OR outcome IS NULL)`
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
 * Auto top-up and periodic refills. An account keeps their settings and where they stand as JSON
 * (null until configured), and when its next refill is due, indexed for the sweep. A request is a row
 * of its own; the partial unique index is the database's guarantee of at most one open request per
 * account, whatever any process decides. A refill period is settled once per account: its row's key.
 * A completed request and a refill that granted name their entry. The operation id on events and
 * refill rows finds a write whose only trace they are (a failure, an expiry, a refill at the ceiling)
 * after its COMMIT went unanswered.
 */
const autoTopUpsAndRefills = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE accounts
      ADD COLUMN auto_top_up jsonb CHECK (jsonb_typeof(auto_top_up) = 'object'),
      ADD COLUMN refill jsonb CHECK (jsonb_typeof(refill) = 'object'),
      ADD COLUMN refill_due_at timestamptz,
      ADD CHECK (refill_due_at IS NULL OR refill IS NOT NULL)`
  yield* sql`CREATE INDEX accounts_refill_due ON accounts (refill_due_at) WHERE refill_due_at IS NOT NULL`
  yield* sql`
    CREATE TABLE auto_top_up_requests (
      account_id text NOT NULL REFERENCES accounts,
      request_id bigint NOT NULL CHECK (request_id >= 1),
      status text NOT NULL CHECK (status IN ('open', 'completed', 'failed', 'expired')),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND amount_configured),
      amount_configured bigint NOT NULL CHECK (amount_configured <= 9007199254740991),
      threshold bigint NOT NULL CHECK (threshold BETWEEN 0 AND 9007199254740991),
      ceiling bigint CHECK (ceiling >= threshold),
      available_at_open bigint NOT NULL CHECK (available_at_open < threshold),
      balance_at_open bigint NOT NULL,
      opened_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL CHECK (expires_at > opened_at),
      resolved_at timestamptz,
      payment_reference text,
      entry_sequence bigint,
      failure_reason text,
      operation_id uuid,
      PRIMARY KEY (account_id, request_id),
      CHECK ((status = 'open') = (resolved_at IS NULL)),
      CHECK ((status = 'completed') = (entry_sequence IS NOT NULL)),
      CHECK ((status = 'completed') = (payment_reference IS NOT NULL)),
      CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
      CHECK (ceiling IS NULL OR balance_at_open + amount <= ceiling),
      FOREIGN KEY (account_id, entry_sequence) REFERENCES entries (account_id, sequence) DEFERRABLE INITIALLY DEFERRED
    )`
  yield* sql`CREATE UNIQUE INDEX auto_top_up_requests_one_open ON auto_top_up_requests (account_id) WHERE status = 'open'`
  yield* sql`CREATE INDEX auto_top_up_requests_due ON auto_top_up_requests (expires_at) WHERE status = 'open'`
  yield* sql`
    CREATE TABLE refills (
      account_id text NOT NULL REFERENCES accounts,
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL CHECK (period_end > period_start),
      decision text NOT NULL CHECK (decision IN ('Applied', 'Clamped', 'Rejected')),
      entry_sequence bigint,
      created_at timestamptz NOT NULL,
      operation_id uuid,
      PRIMARY KEY (account_id, period_start),
      CHECK ((decision = 'Rejected') = (entry_sequence IS NULL)),
      FOREIGN KEY (account_id, entry_sequence) REFERENCES entries (account_id, sequence) DEFERRABLE INITIALLY DEFERRED
    )`
  yield* sql`CREATE INDEX events_operation ON events (operation_id) WHERE operation_id IS NOT NULL`
})

/**
 * An account's version: a write decided on the account as this process last saw it applies only if
 * the version is still the one it saw (`PgCasBatch`), so a change or a key recorded by another process
 * is seen as one number. Every UPDATE of the row bumps it, by a trigger rather than by the statements
 * that write, so a process of an earlier version (during an upgrade) moves it too; a write that only
 * records a key updates its account for that. Rows start at 1; 0 stands for "no row".
 */
const accountVersions = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE accounts ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1)`
  yield* sql`
    CREATE FUNCTION accounts_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.version := OLD.version + 1;
      RETURN NEW;
    END $$`
  yield* sql`
    CREATE TRIGGER accounts_version BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_next_version()`
})

/**
 * The operators' listings. Accounts by the start of their id (`LIKE 'prefix%'`): an index in pattern
 * order serves it whatever the database's collation (the primary key does only under C). An account's
 * open holds: a few among the many it resolved (one per run), so only the open ones are indexed.
 */
const accountListing = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX accounts_id_prefix ON accounts (account_id text_pattern_ops)`
  yield* sql`CREATE INDEX holds_open ON holds (account_id, hold_id) WHERE status = 'open'`
})

/**
 * History by run: an account's entries grouped by reference. Covering, so grouping an account's
 * referenced entries reads the index alone, and each run's newest entries are one range of it.
 * Partial: a write without a reference pays nothing for it.
 */
const runs = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE INDEX entries_runs ON entries (account_id, reference, sequence) INCLUDE (kind, amount, created_at)
    WHERE reference IS NOT NULL`
})

/**
 * Grants. An account keeps its live grants as JSON on its row (null for an account that never had
 * one), so the writes that read and change them load nothing more, and when the soonest of them
 * expires, indexed for the sweep. Every grant ever made is a row of `grants` too, for its listing; its
 * id is the sequence of the entry that made it. An entry records what it moved per grant (null when
 * it touched none), and `expiry` is a kind of entry.
 */
const grants = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE accounts
      ADD COLUMN grants jsonb CHECK (jsonb_typeof(grants) = 'array'),
      ADD COLUMN grants_due_at timestamptz,
      ADD CHECK (grants_due_at IS NULL OR grants IS NOT NULL)`
  yield* sql`CREATE INDEX accounts_grants_due ON accounts (grants_due_at) WHERE grants_due_at IS NOT NULL`
  // The checks of kinds and of their signs were named by PostgreSQL: found by what they say.
  const kindChecks = yield* sql<{ conname: string }>`
    SELECT conname FROM pg_constraint
    WHERE conrelid = 'entries'::regclass AND contype = 'c'
      AND (pg_get_constraintdef(oid) LIKE '%kind = ANY%' OR pg_get_constraintdef(oid) LIKE '%CASE kind%')`
  for (const { conname } of kindChecks) yield* sql`ALTER TABLE entries DROP CONSTRAINT ${sql(conname)}`
  yield* sql`
    ALTER TABLE entries
      ADD COLUMN allocations jsonb CHECK (jsonb_typeof(allocations) = 'array'),
      ADD CHECK (kind IN ('top-up', 'grant', 'reversal', 'usage', 'refund', 'adjustment', 'expiry')),
      ADD CHECK (CASE kind WHEN 'usage' THEN amount < 0 WHEN 'refund' THEN amount < 0 WHEN 'expiry' THEN amount < 0
                 WHEN 'adjustment' THEN true ELSE amount > 0 END),
      ADD CHECK (kind <> 'expiry' OR allocations IS NOT NULL)`
  yield* sql`
    ALTER TABLE events
      DROP CONSTRAINT events_type_check,
      ADD CONSTRAINT events_type_check CHECK (type IN ('balance.low', 'auto_top_up.requested',
        'auto_top_up.completed', 'auto_top_up.failed', 'auto_top_up.expired', 'auto_top_up.disabled', 'refill.applied',
        'grant.expired'))`
  yield* sql`
    CREATE TABLE grants (
      account_id text NOT NULL,
      grant_id bigint NOT NULL,
      status text NOT NULL CHECK (status IN ('live', 'spent', 'expired')),
      amount bigint NOT NULL CHECK (amount > 0),
      remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
      expired bigint NOT NULL CHECK (expired >= 0 AND expired + remaining <= amount),
      priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 9),
      expires_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, grant_id),
      CHECK ((status = 'live') = (remaining > 0)),
      FOREIGN KEY (account_id, grant_id) REFERENCES entries (account_id, sequence) DEFERRABLE INITIALLY DEFERRED
    )`
})

/**
 * Pending credits: credits recorded before they count, each resolved once. The checks restate the
 * core's rules (a pending credit is unresolved, an activated one names its entry); the index finds
 * the sweep's due credits. The events' type check lists every type, the credit events included.
 */
const pendingCredits = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE pending_credits (
      account_id text NOT NULL REFERENCES accounts,
      pending_credit_id bigint NOT NULL CHECK (pending_credit_id >= 1),
      status text NOT NULL CHECK (status IN ('pending', 'activated', 'voided', 'expired')),
      kind text NOT NULL CHECK (kind IN ('top-up', 'grant')),
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
      ceiling bigint CHECK (ceiling BETWEEN 0 AND 9007199254740991),
      reference text,
      metadata jsonb NOT NULL DEFAULT '{}',
      grant_expires_at timestamptz,
      grant_priority smallint CHECK (grant_priority BETWEEN 0 AND 9),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
      resolved_at timestamptz,
      entry_sequence bigint,
      operation_id uuid,
      PRIMARY KEY (account_id, pending_credit_id),
      CHECK ((status = 'pending') = (resolved_at IS NULL)),
      CHECK ((status = 'activated') = (entry_sequence IS NOT NULL)),
      FOREIGN KEY (account_id, entry_sequence) REFERENCES entries (account_id, sequence) DEFERRABLE INITIALLY DEFERRED
    )`
  yield* sql`CREATE INDEX pending_credits_due ON pending_credits (expires_at) WHERE status = 'pending'`
  yield* sql`
    ALTER TABLE events
      DROP CONSTRAINT events_type_check,
      ADD CONSTRAINT events_type_check CHECK (type IN ('balance.low', 'auto_top_up.requested',
        'auto_top_up.completed', 'auto_top_up.failed', 'auto_top_up.expired', 'auto_top_up.disabled', 'refill.applied',
        'grant.expired', 'credit.pending', 'credit.activated', 'credit.voided', 'credit.expired'))`
})

/**
 * Organization wallets. An entry and a hold may name the wallet's member who caused it (null when
 * they name none, as every write of an account without members); an account keeps its member limits
 * and its members' usage as JSON on its row (null until limits are set), so a member-limited debit
 * reads nothing more under the account's lock. Entries by member: indexed for totals and history per
 * member, covering like runs', and partial, so a write that names no member pays nothing for it.
 */
const wallets = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE accounts ADD COLUMN members jsonb CHECK (jsonb_typeof(members) = 'object')`
  yield* sql`ALTER TABLE entries ADD COLUMN member text CHECK (char_length(member) BETWEEN 1 AND 128)`
  yield* sql`ALTER TABLE holds ADD COLUMN member text CHECK (char_length(member) BETWEEN 1 AND 128)`
  yield* sql`
    CREATE INDEX entries_members ON entries (account_id, member, sequence) INCLUDE (kind, amount, created_at)
    WHERE member IS NOT NULL`
})

/**
 * `grant.expiring`. Whether a grant was warned of lives in the grant itself (`warnedAt`), in the live
 * grants on the account row that a warning reads and writes under the account's lock: that makes the
 * event once per grant. The grants table keeps it too, for the listing, and indexes the live grants
 * never warned of by expiry: the sweep's lookup. The batch writes a grant's row by its changing
 * columns only, so a trigger copies `warnedAt` from the account's live grants to the row when they
 * change (it probes only the grants warned of). The event type joins whatever list of types the
 * table allows by then.
 */
const grantExpiring = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE grants ADD COLUMN warned_at timestamptz`
  yield* sql`
    CREATE INDEX grants_expiring ON grants (expires_at)
    WHERE status = 'live' AND warned_at IS NULL AND expires_at IS NOT NULL`
  yield* sql`
    CREATE FUNCTION grants_copy_warned() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE grants g SET warned_at = (x.item ->> 'warnedAt')::timestamptz
      FROM jsonb_array_elements(NEW.grants) AS x(item)
      WHERE x.item ->> 'warnedAt' IS NOT NULL AND g.account_id = NEW.account_id
        AND g.grant_id = (x.item ->> 'grantId')::bigint AND g.warned_at IS NULL;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE TRIGGER accounts_grants_warned AFTER UPDATE OF grants ON accounts
    FOR EACH ROW WHEN (NEW.grants IS NOT NULL AND NEW.grants IS DISTINCT FROM OLD.grants)
    EXECUTE FUNCTION grants_copy_warned()`
  const [check] = yield* sql<{ definition: string }>`
    SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
    WHERE conrelid = 'events'::regclass AND conname = 'events_type_check'`
  const types = new Set([...(check?.definition ?? "").matchAll(/'([a-z_.]+)'/g)].map((match) => match[1]!))
  types.add("grant.expiring")
  const allowed = [...types].map((type) => `'${type}'`).join(", ")
  yield* sql.unsafe(
    `ALTER TABLE events DROP CONSTRAINT events_type_check, ADD CONSTRAINT events_type_check CHECK (type IN (${allowed}))`,
  )
})

/**
 * The rules of an entry and of an account, each one PL/pgSQL function that a table's one CHECK calls
 * with the columns. Every rule the separate CHECKs stated is still checked, on every row written, with
 * the same outcome (a rule that is null passes, as a CHECK does). Why: PostgreSQL reads a table's CHECKs
 * from their stored text and plans them again in every statement that writes the table, which was about
 * a quarter of its CPU for a lone write; a function's expressions are read and planned once per
 * connection, and the CHECK that calls it is small. Measured with `bench/parts-cost.ts`
 * (`bench/PERFORMANCE.md`): 0.85-0.88x of PostgreSQL's CPU for a lone keyed write, 0.92-0.96x batched (two runs).
 * Adding the CHECKs checks the rows already written once.
 */
const rulesAsFunctions = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE FUNCTION tally_entry_rules(kind text, decision text, requested bigint, amount bigint, seq bigint,
      balance_after bigint, refund_of bigint, hold_id bigint, allocations jsonb, member text)
    RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
      RETURN seq >= 1
        AND kind IN ('top-up', 'grant', 'reversal', 'usage', 'refund', 'adjustment', 'expiry')
        AND decision IN ('Applied', 'Clamped')
        AND balance_after BETWEEN -9007199254740991 AND 9007199254740991
        AND amount <> 0 AND sign(amount) = sign(requested) AND abs(amount) <= abs(requested)
        AND (decision = 'Applied') = (amount = requested)
        AND (seq > 1 OR balance_after = amount)
        AND CASE kind WHEN 'usage' THEN amount < 0 WHEN 'refund' THEN amount < 0 WHEN 'expiry' THEN amount < 0
                      WHEN 'adjustment' THEN true ELSE amount > 0 END
        AND (kind = 'refund') = (refund_of IS NOT NULL) AND refund_of < seq
        AND (hold_id IS NULL OR kind = 'usage')
        AND (kind <> 'expiry' OR allocations IS NOT NULL)
        AND jsonb_typeof(allocations) = 'array'
        AND char_length(member) BETWEEN 1 AND 128;
    END $$`
  yield* sql`
    CREATE FUNCTION tally_account_rules(account_id text, balance bigint, last_sequence bigint,
      overdraft_limit bigint, held bigint, holds_placed bigint, version bigint, members jsonb, refill jsonb,
      auto_top_up jsonb, grants jsonb, grants_due_at timestamptz, refill_due_at timestamptz)
    RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
      RETURN account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
        AND balance BETWEEN -9007199254740991 AND 9007199254740991
        AND last_sequence >= 1 AND version >= 1 AND holds_placed >= 0
        AND overdraft_limit BETWEEN 0 AND 9007199254740991 AND held BETWEEN 0 AND 9007199254740991
        AND (last_sequence IS NOT NULL OR balance = 0)
        AND jsonb_typeof(members) = 'object' AND jsonb_typeof(refill) = 'object'
        AND jsonb_typeof(auto_top_up) = 'object' AND jsonb_typeof(grants) = 'array'
        AND (grants_due_at IS NULL OR grants IS NOT NULL) AND (refill_due_at IS NULL OR refill IS NOT NULL);
    END $$`
  // Most of the CHECKs they replace were named by PostgreSQL: every CHECK of the two tables goes.
  const checks = yield* sql<{ relation: string; conname: string }>`
    SELECT conrelid::regclass::text AS relation, conname FROM pg_constraint
    WHERE contype = 'c' AND conrelid IN ('entries'::regclass, 'accounts'::regclass)`
  for (const { relation, conname } of checks) yield* sql`ALTER TABLE ${sql(relation)} DROP CONSTRAINT ${sql(conname)}`
  yield* sql`
    ALTER TABLE entries ADD CONSTRAINT entries_rules CHECK (tally_entry_rules(kind, decision, requested, amount,
      sequence, balance_after, refund_of, hold_id, allocations, member))`
  yield* sql`
    ALTER TABLE accounts ADD CONSTRAINT accounts_rules CHECK (tally_account_rules(account_id, balance,
      last_sequence, overdraft_limit, held, holds_placed, version, members, refill, auto_top_up, grants,
      grants_due_at, refill_due_at))`
})

/**
 * The chain proven by one check per statement instead of one per row. Two deferred foreign keys proved
 * it: an entry's balance before is the running balance of the entry before it, and an account's stored
 * balance is its newest entry's. Each looked up, at commit, the row it named, and locked it (`FOR KEY
 * SHARE`, a WAL record of its own) against a deletion. A trigger per statement now checks all the
 * entries a statement inserted, and all the accounts it inserted or updated, in one query over the
 * statement's rows (a transition table), at the statement's end; the locks go, because entries never
 * change: a trigger refuses any update, deletion or truncation of them (a migration that must rewrite
 * entries disables it for its own transaction). Tally writes an account's entries and its new balance
 * in one statement, so nothing needed the check deferred to the commit; a writer that splits them now
 * fails at the first statement instead of at its commit. The unique index the keys pointed at and the
 * generated columns they compared go with them. Each lookup is a subquery PostgreSQL cannot turn into a
 * join (`OFFSET 0`): one probe of the primary key per row, whatever the plan cached for the function
 * thinks the statement's row count is (a join could read all of `entries`). Measured
 * (`bench/PERFORMANCE.md`): with the keys put back, PostgreSQL's CPU per batched keyed write was 1.19x and 1.32x
 * (`bench/parts-cost.ts`, variant `chain-as-keys`); against the commit before, 0.64-0.98x batched and,
 * with a lone write's text per case of its account (`PgCasBatch`), 0.80-0.95x alone
 * (`bench/cpu-per-operation.ts`).
 */
const chainAsTriggers = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE accounts DROP CONSTRAINT accounts_account_id_last_sequence_balance_fkey`
  yield* sql`ALTER TABLE entries DROP CONSTRAINT entries_account_id_previous_sequence_balance_before_fkey`
  yield* sql`ALTER TABLE entries DROP CONSTRAINT entries_account_id_sequence_balance_after_key`
  yield* sql`ALTER TABLE entries DROP COLUMN balance_before, DROP COLUMN previous_sequence`
  yield* sql`
    CREATE FUNCTION tally_entries_continue_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT FROM added n
        WHERE n.sequence > 1 AND NOT EXISTS (
          SELECT FROM entries p
          WHERE p.account_id = n.account_id AND p.sequence = n.sequence - 1 AND p.balance_after = n.balance_after - n.amount
          OFFSET 0)
      ) THEN
        RAISE EXCEPTION 'an entry''s balance before is not the running balance of the entry before it'
          USING ERRCODE = 'foreign_key_violation', TABLE = 'entries', CONSTRAINT = 'entries_chain';
      END IF;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE TRIGGER entries_chain AFTER INSERT ON entries REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION tally_entries_continue_the_chain()`
  yield* sql`
    CREATE FUNCTION tally_accounts_balance_is_the_newest() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT FROM changed a
        WHERE a.last_sequence IS NOT NULL AND NOT EXISTS (
          SELECT FROM entries e
          WHERE e.account_id = a.account_id AND e.sequence = a.last_sequence AND e.balance_after = a.balance
          OFFSET 0)
      ) THEN
        RAISE EXCEPTION 'an account''s stored balance is not the running balance of its newest entry'
          USING ERRCODE = 'foreign_key_violation', TABLE = 'accounts', CONSTRAINT = 'accounts_newest_entry';
      END IF;
      RETURN NULL;
    END $$`
  // A trigger with a transition table answers one kind of event: one for rows inserted, one for rows updated.
  yield* sql`
    CREATE TRIGGER accounts_newest_entry_inserted AFTER INSERT ON accounts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tally_accounts_balance_is_the_newest()`
  yield* sql`
    CREATE TRIGGER accounts_newest_entry_updated AFTER UPDATE ON accounts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tally_accounts_balance_is_the_newest()`
  yield* sql`
    CREATE FUNCTION tally_entries_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'entries are never changed or removed: % refused', TG_OP
        USING ERRCODE = 'restrict_violation', TABLE = 'entries';
    END $$`
  yield* sql`
    CREATE TRIGGER entries_never_change BEFORE UPDATE OR DELETE OR TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION tally_entries_never_change()`
})

/**
 * A refund's entry and an idempotency record's entry checked once per statement, with the chain,
 * instead of by foreign keys. Each key looked its row up in a query of its own per row written and
 * locked the row it found (`FOR KEY SHARE`: for a record, a WAL record on the entry just inserted);
 * nothing needs the lock, since entries are never changed or removed (migration 15). Batched keyed
 * writes cost PostgreSQL 0.90x within one run (`bench/parts-cost.ts` variant `references-as-keys`),
 * 0.98x (median of six pairs) against the commit before; a lone write the same (`bench/PERFORMANCE.md`).
 * An entry's key to its account stayed, until migration 17: checking it without a lock needs a rule on
 * how an account's entries are written, and the first form of that check cost a hot account more than
 * the key (measured, `bench/PERFORMANCE.md`).
 */
const referencesAsTriggers = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE entries DROP CONSTRAINT entries_account_id_refund_of_fkey`
  yield* sql`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_account_id_entry_sequence_fkey`
  // One probe of a primary key per entry, two for a refund, the first broken rule named.
  yield* sql`
    CREATE OR REPLACE FUNCTION tally_entries_continue_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE broken text;
    BEGIN
      SELECT rule INTO broken FROM (
        SELECT 'entries_chain' AS rule FROM added n
        WHERE n.sequence > 1 AND NOT EXISTS (
          SELECT FROM entries p
          WHERE p.account_id = n.account_id AND p.sequence = n.sequence - 1 AND p.balance_after = n.balance_after - n.amount
          OFFSET 0)
        UNION ALL
        SELECT 'entries_refund_of' FROM added n
        WHERE n.refund_of IS NOT NULL AND NOT EXISTS (
          SELECT FROM entries r WHERE r.account_id = n.account_id AND r.sequence = n.refund_of OFFSET 0)
      ) r LIMIT 1;
      IF broken IS NOT NULL THEN
        RAISE EXCEPTION '%', CASE broken
          WHEN 'entries_chain' THEN 'an entry''s balance before is not the running balance of the entry before it'
          ELSE 'a refund names no entry of its account' END
          USING ERRCODE = 'foreign_key_violation', TABLE = 'entries', CONSTRAINT = broken;
      END IF;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE FUNCTION tally_records_name_their_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT FROM recorded k
        WHERE k.entry_sequence IS NOT NULL AND NOT EXISTS (
          SELECT FROM entries e WHERE e.account_id = k.account_id AND e.sequence = k.entry_sequence OFFSET 0)
      ) THEN
        RAISE EXCEPTION 'an idempotency record names no entry of its account'
          USING ERRCODE = 'foreign_key_violation', TABLE = 'idempotency_keys', CONSTRAINT = 'idempotency_keys_entry';
      END IF;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE TRIGGER idempotency_keys_entry_inserted AFTER INSERT ON idempotency_keys REFERENCING NEW TABLE AS recorded
    FOR EACH STATEMENT EXECUTE FUNCTION tally_records_name_their_entry()`
  yield* sql`
    CREATE TRIGGER idempotency_keys_entry_updated AFTER UPDATE ON idempotency_keys REFERENCING NEW TABLE AS recorded
    FOR EACH STATEMENT EXECUTE FUNCTION tally_records_name_their_entry()`
})

/**
 * An entry's account checked with the chain, once per statement, instead of by its foreign key, which
 * looked the account up in a query of its own per entry written and locked the row (`FOR KEY SHARE`).
 * An entry is accepted only if its account's newest entry is at or past it when its statement ends: so
 * whoever adds entries to an account writes the account's row in the same statement and holds its row
 * lock to the commit, and a statement that removes or renames an account with entries is refused (a
 * trigger per row, on those statements only), after waiting for that lock; so is emptying `accounts`
 * while it has entries, as the key refused it. A writer can no longer put an account's entries and its
 * new balance in separate statements: migration 15's check of the balance asks for the entries first,
 * this one for the account first, so both go in one, as Tally writes them. The account is probed once
 * per entry, not once per account through a `GROUP BY`: with the aggregate, glibc gave the backend's
 * heap back after every statement and the next one faulted it in again (nine times the page faults; a
 * hot account's writes over HTTP cost PostgreSQL more than with the key; `bench/PERFORMANCE.md`).
 */
const accountAsTrigger = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE entries DROP CONSTRAINT entries_account_id_fkey`
  // Two probes of a primary key per entry (the entry before it, its account), three for a refund; the
  // first broken rule named.
  yield* sql`
    CREATE OR REPLACE FUNCTION tally_entries_continue_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE broken text;
    BEGIN
      SELECT rule INTO broken FROM (
        SELECT 'entries_chain' AS rule FROM added n
        WHERE n.sequence > 1 AND NOT EXISTS (
          SELECT FROM entries p
          WHERE p.account_id = n.account_id AND p.sequence = n.sequence - 1 AND p.balance_after = n.balance_after - n.amount
          OFFSET 0)
        UNION ALL
        SELECT 'entries_refund_of' FROM added n
        WHERE n.refund_of IS NOT NULL AND NOT EXISTS (
          SELECT FROM entries r WHERE r.account_id = n.account_id AND r.sequence = n.refund_of OFFSET 0)
        UNION ALL
        SELECT 'entries_account' FROM added n
        WHERE NOT EXISTS (
          SELECT FROM accounts a WHERE a.account_id = n.account_id AND a.last_sequence >= n.sequence OFFSET 0)
      ) r LIMIT 1;
      IF broken IS NOT NULL THEN
        RAISE EXCEPTION '%', CASE broken
          WHEN 'entries_chain' THEN 'an entry''s balance before is not the running balance of the entry before it'
          WHEN 'entries_account' THEN 'an entry is past its account''s newest entry, or has no account: write the account in the same statement'
          ELSE 'a refund names no entry of its account' END
          USING ERRCODE = 'foreign_key_violation', TABLE = 'entries', CONSTRAINT = broken;
      END IF;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE FUNCTION tally_accounts_keep_their_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT FROM entries WHERE account_id = OLD.account_id) THEN
        RAISE EXCEPTION 'account % has entries: it is never removed or renamed', OLD.account_id
          USING ERRCODE = 'foreign_key_violation', TABLE = 'accounts', CONSTRAINT = 'entries_account';
      END IF;
      RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END $$`
  yield* sql`
    CREATE TRIGGER accounts_keep_their_entries_removed BEFORE DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION tally_accounts_keep_their_entries()`
  yield* sql`
    CREATE TRIGGER accounts_keep_their_entries_renamed BEFORE UPDATE OF account_id ON accounts
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id) EXECUTE FUNCTION tally_accounts_keep_their_entries()`
  // As a foreign key refuses it: a truncation fires no row trigger, and entries are never removed.
  yield* sql`
    CREATE FUNCTION tally_accounts_never_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT FROM entries) THEN
        RAISE EXCEPTION 'accounts have entries: the table is never truncated'
          USING ERRCODE = 'foreign_key_violation', TABLE = 'accounts', CONSTRAINT = 'entries_account';
      END IF;
      RETURN NULL;
    END $$`
  yield* sql`
    CREATE TRIGGER accounts_keep_their_entries_truncated BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION tally_accounts_never_truncated()`
})

/**
 * Due deliveries indexed by endpoint, in the order a claim takes them: a claim takes at most a share of
 * each endpoint's, so it reads each endpoint's first few instead of the whole due set in one order (where
 * a slow endpoint's backlog came first, read through at every claim). It replaces the index by due time
 * alone, which only the claim read.
 */
const webhookDeliveriesDueByEndpoint = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at, event_id)
    WHERE status = 'pending'`
  yield* sql`DROP INDEX webhook_deliveries_due`
})

/**
 * Brings the schema up to date. Idempotent, and safe when several processes run it at once: the
 * migrator takes an exclusive lock on its table and skips what another run already applied.
 */
export const migrations = {
  "1_initial_schema": initialSchema,
  "2_operation_ids": operationIds,
  "3_holds_corrections_history": holdsCorrectionsHistory,
  "4_events": events,
  "5_webhooks": webhooks,
  "6_auto_top_ups_and_refills": autoTopUpsAndRefills,
  "7_account_versions": accountVersions,
  "8_account_listing": accountListing,
  "9_grants": grants,
  "10_runs": runs,
  "11_pending_credits": pendingCredits,
  "12_wallets": wallets,
  "13_grant_expiring": grantExpiring,
  "14_rules_as_functions": rulesAsFunctions,
  "15_chain_as_triggers": chainAsTriggers,
  "16_references_as_triggers": referencesAsTriggers,
  "17_account_as_trigger": accountAsTrigger,
  "18_webhook_deliveries_due_by_endpoint": webhookDeliveriesDueByEndpoint,
}

/** The migrations table; `migrateWith` runs a subset of `migrations` against it (upgrade tests). */
export const migrateWith = (subset: Partial<typeof migrations>) =>
  Migrator.make({})({ loader: Migrator.fromRecord(subset), table: "tally_migrations" })

export const migrate = migrateWith(migrations)
