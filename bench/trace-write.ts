import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EmbeddedPostgres, PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "./Database.ts"
import { statementLog } from "./StatementLog.ts"

/**
 * `node --import tsx bench/trace-write.ts`: the statements each of a handful of lone writes sends, at
 * one connection, as the server logs them (log_min_duration_statement=0) with their durations, and
 * each write's wall time seen by the caller: keyed and unkeyed, on a known and on a new account, a
 * grant top-up and a spend that draws it, a replay, a hold placed, captured (and that replayed) and
 * released, and a write on an account written before the
 * process started (a restart).
 */
const { logDir, logFile, settings } = statementLog("tally-trace-")

/** The log's entries from `offset` on, one per statement phase (a statement's text spans lines). */
const entriesFrom = (offset: number) =>
  Fs.readFileSync(logFile, "utf8")
    .slice(offset)
    .split(/\n(?=\d{4}-\d\d-\d\d )/)
    .filter((entry) => entry.includes("duration:"))
    .map((entry) =>
      entry
        .replace(/^\S+ \S+ \S+ \[\d+\] LOG:\s+/, "")
        .replace(/\s+/g, " ")
        .slice(0, 110),
    )

/** Runs `effect`, then prints its wall time and what the server executed meanwhile. */
const traced = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    yield* Effect.sleep("200 millis")
    const offset = Fs.statSync(logFile).size
    const start = performance.now()
    yield* effect
    const ms = performance.now() - start
    yield* Effect.sleep("300 millis")
    const entries = entriesFrom(offset)
    const executed = entries.filter((entry) => / execute /.test(entry)).length
    console.log(`\n${label}: ${ms.toFixed(2)} ms, ${executed} statement(s) executed`)
    for (const entry of entries) console.log(`  ${entry}`)
  })

const program = Effect.gen(function* () {
  const dataDir = Path.join(Os.tmpdir(), `tally-trace-${process.pid}`)
  const server = yield* EmbeddedPostgres.start({ dataDir, throwaway: true, settings })
  const url = Redacted.value(server.url)
  yield* PgMigrations.migrate.pipe(Effect.provide(Database.pool(url, 1)))
  /** A process of its own: a pool and a store whose cache starts empty. */
  const startProcess = () =>
    Ledger.layer.pipe(Layer.provideMerge(PgLedgerStore.layer()), Layer.provideMerge(Database.storePool(url, 8)))
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  yield* Effect.gen(function* () {
    const ledger = yield* Ledger
    yield* ledger.topUp({ accountId: "warm", amount: 1000 })
    for (let i = 0; i < 300; i++) yield* ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: `warmup-${i}` })
    yield* traced("keyed, known account", ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: "trace-1" }))
    yield* traced("unkeyed, known account", ledger.spend({ accountId: "warm", amount: 1 }))
    yield* traced("keyed, new account", ledger.topUp({ accountId: "cold-1", amount: 1, idempotencyKey: "trace-2" }))
    yield* traced("unkeyed, new account", ledger.topUp({ accountId: "cold-2", amount: 1 }))
    yield* traced(
      "grant top-up, keyed, known account",
      ledger.topUp({ accountId: "warm", amount: 50, expiresAt, priority: 1, idempotencyKey: "trace-3" }),
    )
    yield* traced(
      "spend drawing a grant, keyed, known account",
      ledger.spend({ accountId: "warm", amount: 20, idempotencyKey: "trace-4" }),
    )
    yield* traced("keyed replay", ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: "trace-1" }))
    const { hold } = yield* ledger.hold({ accountId: "warm", amount: 5, idempotencyKey: "trace-hold-0" })
    yield* traced("hold placement", ledger.hold({ accountId: "warm", amount: 5, idempotencyKey: "trace-hold-1" }))
    yield* traced(
      "hold capture",
      ledger.capture({ accountId: "warm", holdId: hold.holdId, amount: 2, final: false, idempotencyKey: "trace-cap" }),
    )
    yield* traced(
      "hold capture replay",
      ledger.capture({ accountId: "warm", holdId: hold.holdId, amount: 2, final: false, idempotencyKey: "trace-cap" }),
    )
    yield* traced(
      "hold release",
      ledger.release({ accountId: "warm", holdId: hold.holdId, idempotencyKey: "trace-rel" }),
    )
  }).pipe(Effect.provide(startProcess()))
  yield* Effect.gen(function* () {
    const ledger = yield* Ledger
    yield* traced("after a restart: unkeyed, an account written before", ledger.spend({ accountId: "warm", amount: 1 }))
    yield* traced(
      "after a restart: keyed, another account written before",
      ledger.topUp({ accountId: "cold-1", amount: 1, idempotencyKey: "trace-5" }),
    )
  }).pipe(Effect.provide(startProcess()))
}).pipe(Effect.scoped)

Effect.runPromise(program).finally(() => Fs.rmSync(logDir, { recursive: true, force: true }))
