import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres, PgLedger } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The audit's peak memory on one account of many entries: a throwaway embedded PostgreSQL, the
 * schema migrated, `--entries N` (default 1,000,000) top-ups of 1 written for one account directly
 * with SQL (a chain the audit finds clean), then `Ledger.audit` on PostgreSQL. Prints the report's
 * counts and the process's peak RSS before and after the audit.
 *
 *   node --import tsx bench/audit-memory.ts --entries 1000000
 */

const entriesArg = process.argv.indexOf("--entries")
const entries = entriesArg === -1 ? 1_000_000 : Number(process.argv[entriesArg + 1])
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`

const program = Effect.gen(function* () {
  // The embedded server runs as `postgres` when we are root: its directory must be reachable by it.
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-audit-memory-"))
  Fs.chmodSync(dataDir, 0o755)
  const server = yield* EmbeddedPostgres.start({
    dataDir: Path.join(dataDir, "pg"),
    throwaway: true,
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
  })
  const url = Redacted.value(server.url)
  const seed = Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const started = Date.now()
    yield* sql.withTransaction(
      Effect.gen(function* () {
        // The account's foreign key to its last entry is checked at commit.
        yield* sql`INSERT INTO accounts (account_id, balance, last_sequence) VALUES ('big', ${entries}, ${entries})`
        yield* sql`
          INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, metadata, created_at)
          SELECT 'big', n, 'top-up', 'Applied', 1, 1, n, '{"run":"audit-memory"}', now()
          FROM generate_series(1, ${entries}) AS n`
      }),
    )
    console.log(`seeded ${entries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
  const ledger = PgLedger.layer({ url, maxConnections: 4 })
  yield* Effect.gen(function* () {
    yield* seed.pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))
    const before = process.resourceUsage().maxRSS
    const started = Date.now()
    const report = yield* Ledger.use((l) => l.audit)
    const after = process.resourceUsage().maxRSS
    console.log(
      JSON.stringify({
        entries,
        accountsChecked: report.accountsChecked,
        entriesChecked: report.entriesChecked,
        violations: report.violations.length,
        auditSeconds: (Date.now() - started) / 1000,
        peakRssBeforeAudit: mib(before),
        peakRssAfterAudit: mib(after),
      }),
    )
  }).pipe(Effect.provide(Layer.fresh(ledger)))
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
