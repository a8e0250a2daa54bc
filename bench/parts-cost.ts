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

const chainTrigger = "DROP TRIGGER entries_chain ON entries"
const newestTriggers = [
  "DROP TRIGGER accounts_newest_entry_inserted ON accounts",
  "DROP TRIGGER accounts_newest_entry_updated ON accounts",
]
const entriesGuard = "DROP TRIGGER entries_never_change ON entries"
const chainTriggers = [chainTrigger, ...newestTriggers, entriesGuard]
/**
 * The chain as migration 14 left it, before `15_chain_as_triggers`: two deferred foreign keys, each
 * checking a row at commit and locking the row it finds, through a unique index on what they compare.
 */
const chainAsKeys = [
  ...chainTriggers,
  `ALTER TABLE entries ADD COLUMN balance_before bigint GENERATED ALWAYS AS (balance_after - amount) STORED,
     ADD COLUMN previous_sequence bigint GENERATED ALWAYS AS (NULLIF(sequence - 1, 0)) STORED`,
  "ALTER TABLE entries ADD UNIQUE (account_id, sequence, balance_after)",
  `ALTER TABLE entries ADD FOREIGN KEY (account_id, previous_sequence, balance_before)
     REFERENCES entries (account_id, sequence, balance_after) DEFERRABLE INITIALLY DEFERRED`,
  `ALTER TABLE accounts ADD FOREIGN KEY (account_id, last_sequence, balance)
     REFERENCES entries (account_id, sequence, balance_after) DEFERRABLE INITIALLY DEFERRED`,
]
const recordTriggers = [
  "DROP TRIGGER idempotency_keys_entry_inserted ON idempotency_keys",
  "DROP TRIGGER idempotency_keys_entry_updated ON idempotency_keys",
]
const accountGuards = [
  "DROP TRIGGER accounts_keep_their_entries_removed ON accounts",
  "DROP TRIGGER accounts_keep_their_entries_renamed ON accounts",
  "DROP TRIGGER accounts_keep_their_entries_truncated ON accounts",
]
const entriesAccountKey = "ALTER TABLE entries ADD FOREIGN KEY (account_id) REFERENCES accounts (account_id)"
/**
 * The entry's account as migration 16 left it, before `17_account_as_trigger`: a foreign key, looking
 * the account up and locking it per entry written; the entries' trigger (migration 16's text, as it was)
 * checks the chain and a refund's entry.
 */
const accountAsKey = [
  ...accountGuards,
  `CREATE OR REPLACE FUNCTION tally_entries_continue_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
    END $$`,
  entriesAccountKey,
]
/**
 * The references as migration 15 left them, before `16_references_as_triggers`: foreign keys from an
 * entry to its account, from a refund to the entry it refunds and from an idempotency record to its
 * entry, each looking its row up and locking it per row written; the chain's trigger (migration 15's
 * text, as it was) checks only the chain.
 */
const referencesAsKeys = [
  ...accountGuards,
  entriesAccountKey,
  ...recordTriggers,
  `CREATE OR REPLACE FUNCTION tally_entries_continue_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
    END $$`,
  "ALTER TABLE entries ADD FOREIGN KEY (account_id, refund_of) REFERENCES entries (account_id, sequence)",
  `ALTER TABLE idempotency_keys ADD FOREIGN KEY (account_id, entry_sequence) REFERENCES entries (account_id, sequence)
     DEFERRABLE INITIALLY DEFERRED`,
]
const holdKey = "ALTER TABLE entries DROP CONSTRAINT entries_account_id_hold_id_fkey"
const entriesPrimaryKey = "ALTER TABLE entries DROP CONSTRAINT entries_pkey CASCADE"
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
    name: "chain-trigger",
    part: "entries' check: each continues the chain, a refund's entry exists, the account is at or past it",
    statements: [chainTrigger],
  },
  {
    name: "newest-triggers",
    part: "the account's check against its newest entry: the stored balance is that entry's running balance",
    statements: newestTriggers,
  },
  {
    name: "chain",
    part: "the whole self-check: both checks and the guard that keeps entries unchanged",
    statements: chainTriggers,
  },
  {
    name: "chain-as-keys",
    part: "(not a drop: the chain and the references as foreign keys, as before migration 15)",
    statements: [...referencesAsKeys, ...chainAsKeys],
  },
  {
    name: "entries-pk",
    part: "entries' primary key (account, sequence) and the keys pointing at it: one entry per sequence",
    statements: [entriesPrimaryKey],
  },
  {
    name: "references-as-keys",
    part: "(not a drop: an entry's account, a refund's entry and a record's entry as foreign keys, as before migration 16)",
    statements: referencesAsKeys,
  },
  { name: "records-trigger", part: "the check that an idempotency record's entry exists", statements: recordTriggers },
  {
    name: "account-as-key",
    part: "(not a drop: an entry's account as a foreign key, as before migration 17)",
    statements: accountAsKey,
  },
  { name: "hold-fk", part: "entries' foreign key to the hold they capture", statements: [holdKey] },
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
    part: "every reference a write checks: the chain, a refund's entry, the account, the record's entry, the hold",
    statements: [...chainTriggers, ...accountGuards, ...recordTriggers, holdKey],
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
      ...chainTriggers,
      ...accountGuards,
      ...recordTriggers,
      holdKey,
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
