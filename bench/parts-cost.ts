import * as Os from "node:os"
import { PgMigrations } from "@tally/adapters"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as CpuMeter from "./CpuMeter.ts"
import * as Database from "./Database.ts"
import { forEachOperation, seededLedger, write } from "./LedgerWorkload.ts"
import * as QuietServer from "./QuietServer.ts"

/**
 * `node --import tsx bench/parts-cost.ts [--rounds 3] [--solo 800] [--batch 4000] [--unkeyed] [--only variant,...]`:
 * what each part of the schema costs PostgreSQL per Tally write. Each variant is the shipped schema
 * (every migration, from a database migrated once and copied as a template) with one part taken
 * away, measured with Tally's write as shipped (`Ledger` and the PostgreSQL store, the bench's
 * writes of `LedgerWorkload.ts`, every write with a key of its own unless `--unkeyed`): `solo`, one
 * client, each write its own compare-and-swap statement; `batch`, 64 clients in group-commit
 * batches. CPU per write of PostgreSQL (every server process) and of this process, from /proc, on a
 * fresh copy per run. Every round runs every variant, in an order that turns and reverses from
 * round to round, so each variant's runs sit beside the full schema's under the same load; a
 * variant's figure is read as its ratio to the full schema's in the same round. Measurement only:
 * the shipped schema and migrations are not changed. Prints the table, writes
 * `bench/results/parts-cost.json`.
 */

const argument = (name: string) => {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? undefined : process.argv[index + 1]
}
const rounds = Number(argument("rounds") ?? 3)
const keyed = !process.argv.includes("--unkeyed")
const only = argument("only")?.split(",")

const scenarios = [
  { name: "solo", clients: 1, operations: Number(argument("solo") ?? 800) },
  { name: "batch", clients: 64, operations: Number(argument("batch") ?? 4_000) },
] as const

/** Every CHECK constraint of the tables a write touches (the kinds, signs, bounds, the account id's pattern). */
const dropChecks = `
  DO $$ DECLARE c record; BEGIN
    FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
             WHERE contype = 'c' AND conrelid IN ('entries'::regclass, 'accounts'::regclass, 'idempotency_keys'::regclass)
    LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.t, c.conname); END LOOP;
  END $$`

/** The same CHECKs, each table's as one constraint: every rule still checked, one expression per table. */
const combineChecks = `
  DO $$ DECLARE c record; BEGIN
    CREATE TEMP TABLE rules AS
      SELECT conrelid::regclass AS t, string_agg(substr(pg_get_constraintdef(oid), 7), ' AND ') AS body
      FROM pg_constraint
      WHERE contype = 'c' AND conrelid IN ('entries'::regclass, 'accounts'::regclass, 'idempotency_keys'::regclass)
      GROUP BY conrelid;
    ${dropChecks.replace("DO $$ DECLARE c record; BEGIN", "").replace("END $$", "")}
    FOR c IN SELECT * FROM rules LOOP
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s)', c.t, c.t || '_rules', c.body);
    END LOOP;
  END $$`

/**
 * The single-column CHECKs as domains: PostgreSQL parses and plans a domain's check once per
 * connection (its type cache) where a table's CHECKs are read from their stored text in every
 * statement that writes the table. Every rule still checked; the multi-column ones stay, and so do
 * the checks of columns a generated column or the accounts' id reads (PostgreSQL cannot retype them).
 */
const checksAsDomains = `
  DROP TRIGGER accounts_grants_warned ON accounts;
  CREATE DOMAIN tally_balance AS bigint CHECK (VALUE BETWEEN -9007199254740991 AND 9007199254740991);
  CREATE DOMAIN tally_credits AS bigint CHECK (VALUE BETWEEN 0 AND 9007199254740991);
  CREATE DOMAIN tally_sequence AS bigint CHECK (VALUE >= 1);
  CREATE DOMAIN tally_count AS bigint CHECK (VALUE >= 0);
  CREATE DOMAIN tally_json_object AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
  CREATE DOMAIN tally_json_array AS jsonb CHECK (jsonb_typeof(VALUE) = 'array');
  CREATE DOMAIN tally_member AS text CHECK (char_length(VALUE) BETWEEN 1 AND 128);
  CREATE DOMAIN tally_decision AS text CHECK (VALUE IN ('Applied', 'Clamped'));
  CREATE DOMAIN tally_entry_kind AS text
    CHECK (VALUE IN ('top-up', 'grant', 'reversal', 'usage', 'refund', 'adjustment', 'expiry'));
  ALTER TABLE accounts
    DROP CONSTRAINT accounts_balance_check, DROP CONSTRAINT accounts_balance_check1,
    DROP CONSTRAINT accounts_overdraft_limit_check, DROP CONSTRAINT accounts_held_check,
    DROP CONSTRAINT accounts_last_sequence_check, DROP CONSTRAINT accounts_version_check,
    DROP CONSTRAINT accounts_holds_placed_check, DROP CONSTRAINT accounts_members_check,
    DROP CONSTRAINT accounts_refill_check, DROP CONSTRAINT accounts_auto_top_up_check,
    DROP CONSTRAINT accounts_grants_check,
    ALTER COLUMN balance TYPE tally_balance, ALTER COLUMN overdraft_limit TYPE tally_credits,
    ALTER COLUMN held TYPE tally_credits, ALTER COLUMN last_sequence TYPE tally_sequence,
    ALTER COLUMN version TYPE tally_sequence, ALTER COLUMN holds_placed TYPE tally_count,
    ALTER COLUMN members TYPE tally_json_object, ALTER COLUMN refill TYPE tally_json_object,
    ALTER COLUMN auto_top_up TYPE tally_json_object, ALTER COLUMN grants TYPE tally_json_array;
  ALTER TABLE entries
    DROP CONSTRAINT entries_member_check, DROP CONSTRAINT entries_decision_check,
    DROP CONSTRAINT entries_kind_check, DROP CONSTRAINT entries_allocations_check,
    ALTER COLUMN member TYPE tally_member, ALTER COLUMN decision TYPE tally_decision,
    ALTER COLUMN kind TYPE tally_entry_kind, ALTER COLUMN allocations TYPE tally_json_array;
  CREATE TRIGGER accounts_grants_warned AFTER UPDATE OF grants ON accounts
    FOR EACH ROW WHEN (NEW.grants IS NOT NULL AND NEW.grants IS DISTINCT FROM OLD.grants)
    EXECUTE FUNCTION grants_copy_warned()`.split(";")

/** The multi-column CHECKs of entries said with fewer nodes: no casts to double, one test of the kinds' signs. */
const leanEntryChecks = `
  ALTER TABLE entries
    DROP CONSTRAINT entries_check, DROP CONSTRAINT entries_check3,
    ADD CHECK (amount <> 0 AND (amount > 0) = (requested > 0) AND abs(amount) <= abs(requested)),
    ADD CHECK ((amount < 0) = (kind IN ('usage', 'refund', 'expiry')) OR kind = 'adjustment')`

/**
 * Every CHECK of entries and of accounts as one call of a PL/pgSQL function per table: the table's
 * check is a call with its columns, read and planned in every statement like any CHECK but small;
 * the rules are the function's, parsed and planned once per connection. Every rule still checked.
 */
const checksAsFunctions = [
  dropChecks,
  `CREATE FUNCTION tally_entry_ok(kind text, decision text, requested bigint, amount bigint, seq bigint,
     balance_after bigint, refund_of bigint, hold_id bigint, allocations jsonb, member text)
   RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
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
   END $$`,
  `ALTER TABLE entries ADD CHECK (tally_entry_ok(kind, decision, requested, amount, sequence, balance_after,
     refund_of, hold_id, allocations, member))`,
  `CREATE FUNCTION tally_account_ok(account_id text, balance bigint, last_sequence bigint, overdraft_limit bigint,
     held bigint, holds_placed bigint, version bigint, members jsonb, refill jsonb, auto_top_up jsonb,
     grants jsonb, grants_due_at timestamptz, refill_due_at timestamptz)
   RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
   BEGIN
     RETURN account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
       AND balance BETWEEN -9007199254740991 AND 9007199254740991
       AND last_sequence >= 1 AND version >= 1 AND holds_placed >= 0
       AND overdraft_limit BETWEEN 0 AND 9007199254740991 AND held BETWEEN 0 AND 9007199254740991
       AND (last_sequence IS NOT NULL OR balance = 0)
       AND jsonb_typeof(members) = 'object' AND jsonb_typeof(refill) = 'object'
       AND jsonb_typeof(auto_top_up) = 'object' AND jsonb_typeof(grants) = 'array'
       AND (grants_due_at IS NULL OR grants IS NOT NULL) AND (refill_due_at IS NULL OR refill IS NOT NULL);
   END $$`,
  `ALTER TABLE accounts ADD CHECK (tally_account_ok(account_id, balance, last_sequence, overdraft_limit, held,
     holds_placed, version, members, refill, auto_top_up, grants, grants_due_at, refill_due_at))`,
  `ALTER TABLE idempotency_keys
     ADD CHECK ((refusal IS NULL) = (entry_sequence IS NOT NULL OR outcome IS NOT NULL)),
     ADD CHECK (refusal IS NULL OR outcome IS NULL)`,
]

const chainForeignKey = "ALTER TABLE entries DROP CONSTRAINT entries_account_id_previous_sequence_balance_before_fkey"
const newestForeignKey = "ALTER TABLE accounts DROP CONSTRAINT accounts_account_id_last_sequence_balance_fkey"
const chainUnique = "ALTER TABLE entries DROP CONSTRAINT entries_account_id_sequence_balance_after_key CASCADE"
const chainColumns = "ALTER TABLE entries DROP COLUMN balance_before, DROP COLUMN previous_sequence"
const entriesPrimaryKey = "ALTER TABLE entries DROP CONSTRAINT entries_pkey CASCADE"
const entriesAccount = "ALTER TABLE entries DROP CONSTRAINT entries_account_id_fkey"
const keyEntry = "ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_account_id_entry_sequence_fkey"
const links =
  "ALTER TABLE entries DROP CONSTRAINT entries_account_id_refund_of_fkey, DROP CONSTRAINT entries_account_id_hold_id_fkey"
const entryKeyIndex = "DROP INDEX entries_idempotency_key"
const createdAtIndex = "DROP INDEX entries_created_at"
const partialIndexes = "DROP INDEX entries_reference, entries_refunds, entries_runs, entries_members"
const prefixIndex = "DROP INDEX accounts_id_prefix"
const versionTrigger = "DROP TRIGGER accounts_version ON accounts"

interface Variant {
  readonly name: string
  /** What the part is, and what it guards. */
  readonly part: string
  readonly statements: ReadonlyArray<string>
}

const variants: ReadonlyArray<Variant> = [
  { name: "full", part: "the shipped schema", statements: [] },
  {
    name: "chain-fk",
    part: "the chain's foreign key: an entry's balance before is the previous entry's running balance",
    statements: [chainForeignKey],
  },
  {
    name: "newest-fk",
    part: "the account's foreign key to its newest entry: the stored balance is that entry's running balance",
    statements: [newestForeignKey],
  },
  {
    name: "chain",
    part: "the whole self-check: both chain keys, the unique index they point at, the generated columns",
    statements: [chainUnique, chainColumns],
  },
  {
    name: "entries-pk",
    part: "entries' primary key (account, sequence) and the keys pointing at it: one entry per sequence",
    statements: [entriesPrimaryKey],
  },
  { name: "account-fk", part: "entries' foreign key to their account", statements: [entriesAccount] },
  {
    name: "key-entry-fk",
    part: "an idempotency record's foreign key to its entry",
    statements: [keyEntry],
  },
  { name: "link-fks", part: "entries' links: refund_of and hold_id foreign keys", statements: [links] },
  {
    name: "entry-key-index",
    part: "the unique index of entries' idempotency keys (partial: keyed entries)",
    statements: [entryKeyIndex],
  },
  {
    name: "created-at-index",
    part: "the index of entries by time (history across accounts)",
    statements: [createdAtIndex],
  },
  {
    name: "partial-indexes",
    part: "the partial indexes by reference, refund, run and member (rows outside them)",
    statements: [partialIndexes],
  },
  { name: "prefix-index", part: "the accounts' id-prefix index (listing)", statements: [prefixIndex] },
  { name: "checks", part: "every CHECK of entries, accounts and idempotency records", statements: [dropChecks] },
  {
    name: "checks-combined",
    part: "the same CHECKs, each table's combined into one constraint (every rule still checked)",
    statements: [combineChecks],
  },
  {
    name: "checks-as-domains",
    part: "the single-column CHECKs as domains, checked once per connection's plan (every rule still checked)",
    statements: checksAsDomains,
  },
  {
    name: "checks-lean",
    part: "domains, and entries' sign checks with fewer nodes (every rule still checked)",
    statements: [...checksAsDomains, leanEntryChecks],
  },
  {
    name: "checks-as-functions",
    part: "entries' and accounts' CHECKs each as one PL/pgSQL function's call (every rule still checked)",
    statements: checksAsFunctions,
  },
  {
    name: "version-trigger",
    part: "the trigger that bumps an account's version on every update",
    statements: [versionTrigger],
  },
  {
    name: "uuid-as-text",
    part: "operation ids stored as text instead of uuid (36 bytes against 16)",
    statements: [
      "ALTER TABLE entries ALTER COLUMN operation_id TYPE text",
      "ALTER TABLE idempotency_keys ALTER COLUMN operation_id TYPE text",
    ],
  },
  {
    name: "metadata-as-text",
    part: "entries' metadata stored as text instead of jsonb",
    statements: [
      "ALTER TABLE entries ALTER COLUMN metadata DROP DEFAULT",
      "ALTER TABLE entries ALTER COLUMN metadata TYPE text",
    ],
  },
  {
    name: "all-fks",
    part: "every foreign key a write checks: the chain's two, entries' account, the record's entry, the links",
    statements: [chainForeignKey, newestForeignKey, entriesAccount, keyEntry, links],
  },
  {
    name: "all-indexes",
    part: "every secondary index of entries and accounts: idempotency key, time, the partial ones, id prefix",
    statements: [entryKeyIndex, createdAtIndex, partialIndexes, prefixIndex],
  },
  {
    name: "bare",
    part: "all of the above dropped: no foreign key, CHECK, trigger or index but the lookups' keys",
    statements: [
      chainUnique,
      chainColumns,
      entriesAccount,
      keyEntry,
      links,
      entriesPrimaryKey,
      entryKeyIndex,
      createdAtIndex,
      partialIndexes,
      prefixIndex,
      dropChecks,
      versionTrigger,
    ],
  },
]

const selected = variants.filter(
  (variant) => only === undefined || variant.name === "full" || only.includes(variant.name),
)

interface Run extends CpuMeter.CpuPerOperation {
  readonly variant: string
  readonly scenario: string
  readonly round: number
}

const format = CpuMeter.formatUs

const program = Effect.gen(function* () {
  const server = yield* QuietServer.start("tally-parts")
  const template = `parts_template_${process.pid}`
  yield* server.admin`CREATE DATABASE ${server.admin(template)}`
  yield* Effect.addFinalizer(() =>
    server.admin`DROP DATABASE IF EXISTS ${server.admin(template)} WITH (FORCE)`.pipe(Effect.orDie),
  )
  yield* PgMigrations.migrate.pipe(Effect.provide(Database.pool(Database.withDatabase(server.url, template), 1)))
  let copies = 0
  /** A copy of the migrated database with the variant's part taken away, for the scope. */
  const copy = (variant: Variant) =>
    Effect.gen(function* () {
      const name = `parts_${process.pid}_${++copies}`
      yield* Effect.acquireRelease(
        server.admin`CREATE DATABASE ${server.admin(name)} TEMPLATE ${server.admin(template)}`,
        () => server.admin`DROP DATABASE IF EXISTS ${server.admin(name)} WITH (FORCE)`.pipe(Effect.orDie),
      )
      const url = Database.withDatabase(server.url, name)
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        for (const statement of variant.statements) yield* sql.unsafe(statement)
      }).pipe(Effect.provide(Database.pool(url, 1)))
      return url
    })
  const runs: Array<Run> = []
  for (let round = 1; round <= rounds; round++) {
    const turned = [...selected.slice(round % selected.length), ...selected.slice(0, round % selected.length)]
    const order = round % 2 === 1 ? turned : turned.reverse()
    for (const scenario of scenarios) {
      for (const variant of order) {
        const result = yield* Effect.scoped(
          Effect.gen(function* () {
            const url = yield* copy(variant)
            const ledger = yield* seededLedger(url, scenario.clients)
            yield* Database.checkpoint(server)
            return yield* CpuMeter.measure(
              { operations: scenario.operations, postmasterPid: server.postmasterPid },
              forEachOperation(scenario.operations, scenario.clients, write(ledger, keyed)),
            )
          }),
        )
        const run: Run = { ...result, variant: variant.name, scenario: scenario.name, round }
        runs.push(run)
        console.log(
          `round ${round} ${scenario.name} ${variant.name}: postgres ${format(run.postgresUs)} µs/write, node ${format(run.clientUs)} (load ${run.loadAverage.toFixed(1)})`,
        )
      }
    }
  }
  const rows = scenarios.flatMap((scenario) =>
    selected.map((variant) => {
      const own = runs.filter((run) => run.scenario === scenario.name && run.variant === variant.name)
      const full = runs.filter((run) => run.scenario === scenario.name && run.variant === "full")
      const ratios = own.map((run) => run.postgresUs / full.find((f) => f.round === run.round)!.postgresUs)
      return {
        scenario: scenario.name,
        variant: variant.name,
        part: variant.part,
        postgresUs: own.map((run) => run.postgresUs),
        postgresMedianUs: CpuMeter.median(own.map((run) => run.postgresUs)),
        ratios,
        ratioMedian: CpuMeter.median(ratios),
        nodeMedianUs: CpuMeter.median(own.map((run) => run.clientUs)),
      }
    }),
  )
  const loads = runs.map((run) => run.loadAverage)
  console.log(
    `\nPostgreSQL CPU µs per ${keyed ? "keyed" : "unkeyed"} write, ${rounds} rounds; load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on ${Os.cpus().length} cores\n`,
  )
  console.log("| scenario | without | PostgreSQL µs/write (each round) | against the full schema (each round) |")
  console.log("| --- | --- | --- | --- |")
  for (const row of rows) {
    console.log(
      `| ${row.scenario} | ${row.variant}: ${row.part} | ${format(row.postgresMedianUs)} (${row.postgresUs.map(format).join(", ")}) | ${row.ratioMedian.toFixed(2)} (${row.ratios.map((r) => r.toFixed(2)).join(", ")}) |`,
    )
  }
  QuietServer.writeResults("parts-cost.ts", "parts-cost.json", server, loads, { keyed, rows, runs })
}).pipe(Effect.scoped)

await Effect.runPromise(program)
