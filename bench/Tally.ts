import { MemoryLedgerStore, PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as BatchTracer from "./BatchTracer.ts"
import { fromMeasurement } from "./BenchRecord.ts"
import * as Database from "./Database.ts"
import type { Implementation } from "./Implementation.ts"
import { drive, type Target } from "./Target.ts"
import { accountIds, applied, type Cell, ceiling, type Operation, rejected, seedBalance } from "./Workload.ts"

/** Tally itself, through its public service: validation, the core's decision, the store. */

/** Seeding goes through the ledger too, this many top-ups at a time. */
const seedConcurrency = 64

const asRejected = () => Effect.succeed(rejected)

/** Keys unique within the process, for runs where every write carries one. */
let keysIssued = 0

const execute = (ledger: Ledger["Service"], ids: ReadonlyArray<string>, keyed: boolean) => (operation: Operation) => {
  const accountId = ids[operation.account]!
  const key = keyed ? { idempotencyKey: `bench-${++keysIssued}` } : {}
  return (
    operation.kind === "top-up"
      ? ledger.topUp({ accountId, amount: operation.amount, ceiling, ...key })
      : ledger.spend({ accountId, amount: operation.amount, ...key })
  ).pipe(
    Effect.map((posting) => applied(posting.entry.amount)),
    Effect.catchTags({
      BalanceAtCeiling: asRejected,
      InsufficientCredits: asRejected,
      BalanceLimitExceeded: asRejected,
    }),
  )
}

const prepare = (ids: ReadonlyArray<string>, balances: Target["balances"], keyed = false) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger
    yield* Effect.forEach(ids, (accountId) => ledger.topUp({ accountId, amount: seedBalance }), {
      concurrency: seedConcurrency,
      discard: true,
    })
    return {
      execute: execute(ledger, ids, keyed),
      balances,
      audit: ledger.audit.pipe(Effect.map((report) => ({ violations: report.violations.length, lostUpdates: null }))),
    } satisfies Target
  })

export interface PgOptions {
  readonly store: PgLedgerStore.Options
  readonly poolConnections: number
  /** Watch batches and statements through a tracer (`BatchTracer`); off, the native tracer runs. */
  readonly profile: boolean
  /** Every write carries an idempotency key of its own: `tally-pg-keyed`. */
  readonly keyed?: boolean
}

/** The PostgreSQL adapter as shipped: group commit over a pool of modest size. */
export const pg = ({ store, poolConnections, profile, keyed = false }: PgOptions): Implementation => ({
  name: keyed ? "tally-pg-keyed" : "tally-pg",
  run: (cell: Cell, server: Database.Server) =>
    Effect.gen(function* () {
      const url = yield* Database.fresh(server, "tally")
      const sqlLayer = Database.storePool(url, poolConnections)
      yield* PgMigrations.migrate.pipe(Effect.provide(sqlLayer))
      const ids = accountIds(cell.accounts)
      const batches = BatchTracer.make()
      // One client makes batches of one; its latency is the figure that matters there, so no tracer.
      const profiled = profile && cell.clients > 1
      return yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const balances = sql<{ account_id: string; balance: bigint }>`SELECT account_id, balance FROM accounts`.pipe(
          Effect.map((rows) => new Map(rows.map((row) => [row.account_id, Number(row.balance)]))),
        )
        const target = yield* prepare(ids, balances, keyed)
        const measurement = yield* drive(cell, ids, profiled ? { ...target, measuring: batches } : target, server)
        const stats = profiled ? batches.stats(measurement.run.elapsedMs / 1000) : null
        return fromMeasurement(cell, keyed ? "tally-pg-keyed" : "tally-pg", poolConnections, measurement, stats)
      }).pipe(
        Effect.provide(Ledger.layer.pipe(Layer.provideMerge(PgLedgerStore.layer(store)), Layer.provideMerge(sqlLayer))),
        (effect) => (profiled ? Effect.withTracer(effect, batches.tracer) : effect),
      )
    }).pipe(Effect.scoped),
})

/** The in-memory adapter: the same service, no I/O. */
export const memory: Implementation = {
  name: "tally-memory",
  run: (cell: Cell, server: Database.Server) =>
    Effect.gen(function* () {
      const ids = accountIds(cell.accounts)
      const ledger = yield* Ledger
      const balances = Effect.forEach(ids, (id) =>
        Effect.map(ledger.balance(id), (balance) => [id, balance] as const),
      ).pipe(Effect.map((entries) => new Map(entries)))
      const target = yield* prepare(ids, balances)
      const measurement = yield* drive(cell, ids, target, server)
      return fromMeasurement(cell, "tally-memory", null, measurement)
    }).pipe(Effect.provide(Ledger.layer.pipe(Layer.provide(MemoryLedgerStore.layer)))),
}
