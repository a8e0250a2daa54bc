import * as Fs from "node:fs"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { EmbeddedPostgres, PgLedgerStore, PgMigrations } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime, Tracer } from "effect"
import { SqlClient } from "effect/sql"
import * as BatchTracer from "./BatchTracer.ts"

/**
 * `node --import tsx bench/cpu-per-operation.ts [solo|locked|batch] [operations] [--keyed] [--grants] [--batches]`: the CPU one
 * operation costs the Tally process and its PostgreSQL (every server process, read from /proc),
 * for a fixed workload (half ceiling'd top-ups, half spends, over 1,000 accounts). CPU time, unlike
 * throughput, barely depends on what else the machine runs, so two versions can be compared on a
 * busy machine by running this alternately. Linux only.
 *
 * - solo: one client, compare-and-swap statements;
 * - locked: one client, every write a locked transaction;
 * - batch: 64 clients, group commit, compare-and-swap statements.
 *
 * `--keyed` gives every write an idempotency key of its own; `--grants` makes every top-up a grant
 * (an expiry a year ahead, priorities 0-2), which the spends then draw on. `--replays` runs the keyed
 * workload once unmeasured, then measures it again: every write a replay of a key used before (a
 * client's retry). `--holds` makes each operation a keyed hold placement followed by its capture (two
 * writes, both counted). `--batches` also counts the
 * group commit's batches (through `BatchTracer`, whose spans cost CPU of their own: compare CPU
 * figures only between runs with the same flags) and the transactions PostgreSQL committed (a
 * compare-and-swap statement is one, a locked transaction one).
 */

/** /proc counts CPU time in clock ticks of 1/100 s (USER_HZ). */
const ticksPerSecond = 100
const accounts = 1_000

const cpuSecondsOf = (pid: number): { readonly ppid: number; readonly seconds: number } | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond }
  } catch {
    return undefined
  }
}

/** The postmaster and its children: backends, WAL writer, checkpointer... */
const postgresCpuSeconds = (postmaster: number) =>
  Fs.readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => ({ pid: Number(entry), cpu: cpuSecondsOf(Number(entry)) }))
    .filter(({ pid, cpu }) => pid === postmaster || cpu?.ppid === postmaster)
    .reduce((total, { cpu }) => total + (cpu?.seconds ?? 0), 0)

const flags = ["--keyed", "--grants", "--replays", "--holds", "--batches"]
const replays = process.argv.includes("--replays")
const holds = process.argv.includes("--holds")
const keyed = process.argv.includes("--keyed") || replays
const counted = process.argv.includes("--batches")
const grants = process.argv.includes("--grants")
const [scenario = "batch", operationsText = "20000"] = process.argv.slice(2).filter((arg) => !flags.includes(arg))
const expiresAt = new Date(Date.now() + 365 * 86_400_000).toISOString()
const operations = Number(operationsText)
const concurrency = scenario === "batch" ? 64 : 1
const dataDir = Path.resolve(`.tally-test/cpu-per-operation-${process.pid}`)

const placeAndCapture = (ledger: Ledger["Service"], i: number) => {
  const accountId = `a${i % accounts}`
  return Effect.ignore(
    Effect.flatMap(ledger.hold({ accountId, amount: 1 + (i % 100), idempotencyKey: `hold-${i}` }), ({ hold }) =>
      ledger.capture({ accountId, holdId: hold.holdId, idempotencyKey: `capture-${i}` }),
    ),
  )
}

const workload = (ledger: Ledger["Service"], i: number) => {
  if (holds) return placeAndCapture(ledger, i)
  const accountId = `a${i % accounts}`
  const amount = 1 + (i % 100)
  const key = keyed ? { idempotencyKey: `op-${i}` } : {}
  const grant = grants ? { expiresAt, priority: i % 3 } : {}
  return Effect.ignore(
    i % 2 === 0
      ? ledger.topUp({ accountId, amount, ceiling: 10_000_000, ...key, ...grant })
      : ledger.spend({ accountId, amount, ...key }),
  )
}

const program = Effect.gen(function* () {
  const server = yield* EmbeddedPostgres.start({ dataDir, throwaway: true })
  const postmaster = Number(Fs.readFileSync(Path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
  const client = PgClient.layer({
    url: server.url,
    maxConnections: scenario === "batch" ? 4 : 1,
    startupParameters: PgLedgerStore.sessionParameters,
  })
  yield* PgMigrations.migrate.pipe(Effect.provide(client))
  const store = PgLedgerStore.layer({ ...PgLedgerStore.defaults, soloWrites: scenario !== "locked" })
  const batches = BatchTracer.make()
  // The group commit's writers run the batches: they take the tracer when the layer builds them.
  const tracer = counted ? Layer.succeed(Tracer.Tracer, batches.tracer) : Layer.empty
  const makeRuntime = () =>
    ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(store), Layer.provide(client), Layer.provide(tracer)))
  let runtime = makeRuntime()
  /**
   * Transactions committed so far, every one a backend reported: a backend reports its counts as it
   * exits, and otherwise only every so often, so read once the store's connections are closed.
   */
  const transactionsCommitted = Effect.gen(function* () {
    yield* Effect.sleep("1500 millis")
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly committed: bigint }>`
      SELECT xact_commit AS committed FROM pg_stat_database WHERE datname = current_database()`
    return Number(row!.committed)
  }).pipe(Effect.provide(client))
  const run = (
    body: (ledger: Ledger["Service"], i: number) => Effect.Effect<unknown, unknown>,
    count: number,
    fibers: number,
  ) =>
    Effect.promise(() =>
      runtime.runPromise(
        Effect.flatMap(Ledger, (ledger) =>
          Effect.forEach(
            Array.from({ length: count }, (_, i) => i),
            (i) => body(ledger, i),
            { concurrency: fibers, discard: true },
          ),
        ),
      ),
    )
  yield* run((ledger, i) => ledger.topUp({ accountId: `a${i}`, amount: 1_000_000 }), accounts, 16)
  if (replays) yield* run(workload, operations, concurrency)
  if (counted) {
    // A store of its own for the workload, started (its cache warmed) before the count.
    yield* Effect.promise(() => runtime.dispose())
    runtime = makeRuntime()
    yield* Effect.promise(() => runtime.runPromise(Effect.void))
  }
  const committedBefore = counted ? yield* transactionsCommitted : 0
  batches.start()
  const postgresBefore = postgresCpuSeconds(postmaster)
  const nodeBefore = process.cpuUsage()
  yield* run(workload, operations, concurrency)
  const node = process.cpuUsage(nodeBefore)
  const postgres = postgresCpuSeconds(postmaster) - postgresBefore
  batches.stop()
  const writes = holds ? operations * 2 : operations
  const perOperation = (microseconds: number) => `${(microseconds / writes).toFixed(1)} µs/op`
  const labels = [keyed && !replays && "keyed", grants && "grants", replays && "replays", holds && "holds"]
  console.log(
    `${[scenario, ...labels.filter(Boolean)].join(" ")}: node ${perOperation(node.user + node.system)}, postgres ${perOperation(postgres * 1e6)} (${writes} writes)`,
  )
  yield* Effect.promise(() => runtime.dispose())
  if (counted) {
    // Less one: the read of the count before the workload.
    const committed = (yield* transactionsCommitted) - committedBefore - 1
    const { batches: count, sizeMean, sizeP50, sizeMax } = batches.stats(1)
    console.log(
      `batches ${count} (operations per batch: mean ${sizeMean.toFixed(2)}, p50 ${sizeP50}, max ${sizeMax}), transactions committed ${committed} (${(committed / writes).toFixed(3)} per write)`,
    )
  }
}).pipe(Effect.scoped)

await Effect.runPromise(program)
