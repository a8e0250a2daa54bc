import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EmbeddedPostgres, PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "./Database.ts"

/**
 * `node --import tsx bench/trace-write.ts`: the statements one lone write sends, keyed and unkeyed,
 * on a warm and on a cold account, at one connection, as the server logs them (log_statement=all,
 * log_min_duration_statement=0) with their durations, and each write's wall time seen by the caller.
 */
const logDir = Fs.mkdtempSync(Path.join("/tmp", "tally-trace-"))
Fs.chmodSync(logDir, 0o777)
const settings = {
  logging_collector: "on",
  log_directory: logDir,
  log_filename: "trace.log",
  log_min_duration_statement: "0",
  log_line_prefix: "%m [%p] ",
}

const timed = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    yield* effect
    console.log(`${label}: ${(performance.now() - start).toFixed(2)} ms`)
  })

const program = Effect.gen(function* () {
  const dataDir = Path.join(Os.tmpdir(), `tally-trace-${process.pid}`)
  const server = yield* EmbeddedPostgres.start({ dataDir, throwaway: true, settings })
  const sqlLayer = Database.pool(Redacted.value(server.url), 8)
  yield* PgMigrations.migrate.pipe(Effect.provide(sqlLayer))
  yield* Effect.gen(function* () {
    const ledger = yield* Ledger
    yield* ledger.topUp({ accountId: "warm", amount: 1000 })
    for (let i = 0; i < 300; i++) yield* ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: `warmup-${i}` })
    const marker = (text: string) => Effect.sync(() => Fs.appendFileSync(Path.join(logDir, "markers"), `${text}\n`))
    yield* Effect.sleep("200 millis")
    const mark = Fs.statSync(Path.join(logDir, "trace.log")).size
    yield* marker("")
    yield* timed("keyed, warm", ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: "trace-1" }))
    yield* timed("keyed, warm again", ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: "trace-1b" }))
    yield* timed("unkeyed, warm", ledger.spend({ accountId: "warm", amount: 1 }))
    yield* timed("keyed, cold", ledger.topUp({ accountId: "cold-1", amount: 1, idempotencyKey: "trace-2" }))
    yield* timed("unkeyed, cold", ledger.topUp({ accountId: "cold-2", amount: 1 }))
    yield* timed("keyed, replay", ledger.spend({ accountId: "warm", amount: 1, idempotencyKey: "trace-1" }))
    yield* Effect.sleep("300 millis")
    const log = Fs.readFileSync(Path.join(logDir, "trace.log"), "utf8").slice(mark)
    console.log(
      log
        .split("\n")
        .filter((line) => line.includes("duration:"))
        .map((line) =>
          line
            .replace(/^\S+ (\S+) \S+ \[\d+\] LOG: /, "$1 ")
            .replace(/\s+/g, " ")
            .slice(0, 160),
        )
        .join("\n"),
    )
  }).pipe(Effect.provide(Ledger.layer.pipe(Layer.provideMerge(PgLedgerStore.layer()), Layer.provideMerge(sqlLayer))))
}).pipe(Effect.scoped)

Effect.runPromise(program).finally(() => Fs.rmSync(logDir, { recursive: true, force: true }))
