import * as Fs from "node:fs"
import { Session } from "node:inspector/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgMigrations } from "@tally/adapters"
import { Context, Effect, Layer, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import pg from "pg"
import * as Baseline from "./Baseline.ts"
import * as CpuMeter from "./CpuMeter.ts"
import * as Database from "./Database.ts"
import * as CpuProfile from "./http/CpuProfile.ts"
import * as Launcher from "./http/Launcher.ts"
import * as Load from "./http/Load.ts"
import { accounts, ceiling, forEachOperation, seedBalance, seededLedger, write, writeOf } from "./LedgerWorkload.ts"
import { operate } from "./OriginStatement.ts"
import * as QuietServer from "./QuietServer.ts"

/**
 * `node --import tsx bench/floor.ts [--rounds 3] [--scale 1] [--only case,...] [--profile case]`: the
 * floor under a Tally write, as CPU per operation of the bare parts, each at 1 client and at 16 on one
 * embedded PostgreSQL (durable settings, autovacuum off: `QuietServer`):
 *
 * - `http`: bare node:http answering a small JSON body (`http/BareServer.ts`, no database), driven by
 *   the HTTP bench's load generator over keep-alive connections; its Node figure is the server's;
 * - `pg-select` and `sql-pg-select`: `SELECT 1` through `pg` and through `@effect/sql-pg`;
 * - `pg-origin`, `pg-origin-prepared` and `sql-pg-origin`: the origin's one statement
 *   (`OriginStatement.ts`, the same text) through each driver, on the baselines' tables; `pg` plans
 *   an unnamed statement anew on every call, a named one once, as `@effect/sql-pg` prepares its own;
 * - `tally` and `tally-keyed`: Tally's write through `Ledger` and the PostgreSQL store as shipped
 *   (a lone write is `PgCasBatch`'s compare-and-swap statement; 16 clients share group-commit
 *   batches), without and with an idempotency key on every write.
 *
 * Writes are the bench's: half ceiling'd top-ups, half spends, amounts 1..100, over 1,000 accounts.
 * Every case runs once per round on a database of its own, rounds alternate the order of the cases,
 * and every run is printed and kept in `bench/results/floor.json` with the load average at its end.
 * `--profile case` runs that case once under V8's CPU profiler, only while it is measured, and
 * prints where this process's time went (its figures are not kept: profiling costs CPU).
 */

const argument = (name: string) => {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? undefined : process.argv[index + 1]
}
const rounds = Number(argument("rounds") ?? 3)
const scale = Number(argument("scale") ?? 1)
const only = argument("only")?.split(",")
const profiled = argument("profile")

const clientCounts = [1, 16] as const

type Server = QuietServer.QuietServer

/** Runs `operation(client, i)` for i in 0..operations-1, each client taking every clients-th one in turn. */
const spread = <C>(
  clients: ReadonlyArray<C>,
  operations: number,
  operation: (client: C, i: number) => Promise<unknown>,
) =>
  Effect.promise(() =>
    Promise.all(
      clients.map(async (client, first) => {
        for (let i = first; i < operations; i += clients.length) await operation(client, i)
      }),
    ),
  )

/** One `pg.Client` per simulated client, connected for the scope. */
const pgClients = (url: string, count: number) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }))
      await Promise.all(clients.map((client) => client.connect()))
      return clients
    }),
    (clients) => Effect.promise(() => Promise.all(clients.map((client) => client.end()))),
  )

/** A pool of `@effect/sql-pg` with one connection per client, on the database at `url`, for the scope. */
const sqlPool = (url: string, connections: number) =>
  Layer.build(Database.pool(url, connections)).pipe(Effect.map((context) => Context.get(context, SqlClient.SqlClient)))

/** Measures `run`, or profiles it when this case is the one `--profile` names. */
const measured = <E, R>(
  name: string,
  server: Server,
  operations: number,
  run: Effect.Effect<unknown, E, R>,
  processes: Readonly<Record<string, number>> = {},
) =>
  Effect.gen(function* () {
    yield* Database.checkpoint(server)
    if (profiled !== name) {
      return yield* CpuMeter.measure({ operations, postmasterPid: server.postmasterPid, processes }, run)
    }
    const session = new Session()
    session.connect()
    yield* Effect.promise(() => session.post("Profiler.enable").then(() => session.post("Profiler.start")))
    const result = yield* CpuMeter.measure({ operations, postmasterPid: server.postmasterPid, processes }, run)
    const { profile } = yield* Effect.promise(() => session.post("Profiler.stop"))
    session.disconnect()
    const summary = CpuProfile.summarize(profile as CpuProfile.Profile, {
      fromUs: profile.startTime,
      toUs: profile.endTime,
    })
    console.log(`\nprofile of ${name} (${operations} operations; figures taken under the profiler):`)
    console.log(CpuProfile.text(summary))
    return result
  })

interface Case {
  readonly part: string
  readonly name: string
  readonly operations: (clients: number) => number
  readonly run: (
    server: Server,
    clients: number,
    name: string,
    operations: number,
  ) => Effect.Effect<CpuMeter.CpuPerOperation, unknown, Scope.Scope>
}

const http: Case = {
  part: "node:http answering JSON (no database)",
  name: "http",
  operations: () => 20_000,
  run: (server, connections, name, operations) =>
    Effect.gen(function* () {
      const logDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-floor-http-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(logDir, { recursive: true, force: true })))
      const load = yield* Load.autocannon
      const bare = yield* Launcher.benchServer({ name: "bare", file: "BareServer.ts", logDir })
      const send = (requests: number, stream: number) =>
        load
          .run({ url: bare.url, accounts, connections, durationMs: 600_000, requests, stream })
          .pipe(
            Effect.flatMap((result) =>
              result.errors === 0 ? Effect.void : Effect.die(new Error(`errors: ${result.errorSamples.join("; ")}`)),
            ),
          )
      yield* send(2_000, 0)
      return yield* measured(name, server, operations, send(operations, 1), { server: bare.pid, load: load.pid })
    }),
}

const pgSelect: Case = {
  part: "`pg` sending SELECT 1",
  name: "pg-select",
  operations: () => 20_000,
  run: (server, clients, name, operations) =>
    Effect.gen(function* () {
      const connections = yield* pgClients(server.url, clients)
      yield* spread(connections, 1_000, (client) => client.query("SELECT 1"))
      return yield* measured(
        name,
        server,
        operations,
        spread(connections, operations, (client) => client.query("SELECT 1")),
      )
    }),
}

const sqlPgSelect: Case = {
  part: "`@effect/sql-pg` sending SELECT 1",
  name: "sql-pg-select",
  operations: () => 20_000,
  run: (server, clients, name, operations) =>
    Effect.gen(function* () {
      const sql = yield* sqlPool(server.url, clients)
      yield* forEachOperation(1_000, clients, () => sql`SELECT 1`)
      return yield* measured(
        name,
        server,
        operations,
        forEachOperation(operations, clients, () => sql`SELECT 1`),
      )
    }),
}

const writeOperations = (clients: number) => (clients === 1 ? 1_500 : 6_000)

/** A fresh database with the baselines' tables, every account seeded; a pool of `connections` on it. */
const originDatabase = (server: Server, connections: number) =>
  Effect.gen(function* () {
    const url = yield* Database.fresh(server, "origin")
    const sql = yield* sqlPool(url, connections)
    yield* Effect.provideService(
      Effect.andThen(
        Baseline.create,
        Baseline.seed(
          Array.from({ length: accounts }, (_, i) => `a${i}`),
          seedBalance,
        ),
      ),
      SqlClient.SqlClient,
      sql,
    )
    return { url, sql }
  })

const originStatement = (sql: SqlClient.SqlClient, i: number) => {
  const { accountId, delta } = writeOf(i)
  return operate(sql, accountId, delta, delta > 0 ? ceiling : null)
}

const sqlPgOrigin: Case = {
  part: "`@effect/sql-pg` sending the origin's statement",
  name: "sql-pg-origin",
  operations: writeOperations,
  run: (server, clients, name, operations) =>
    Effect.gen(function* () {
      const { sql } = yield* originDatabase(server, clients)
      yield* forEachOperation(clients, clients, (i) => originStatement(sql, i))
      return yield* measured(
        name,
        server,
        operations,
        forEachOperation(operations, clients, (i) => originStatement(sql, i)),
      )
    }),
}

/**
 * The origin's statement through `pg`: the very text `@effect/sql-pg` sends for it, with each write's
 * values in its parameters' places. `pg` sends an unnamed statement, parsed and planned on every call,
 * unless it is given a name: `prepared` names it, as `@effect/sql-pg` does.
 */
const pgOrigin = (prepared: boolean): Case => ({
  part: `\`pg\` sending the origin's statement${prepared ? ", prepared" : ""}`,
  name: prepared ? "pg-origin-prepared" : "pg-origin",
  operations: writeOperations,
  run: (server, clients, name, operations) =>
    Effect.gen(function* () {
      const { url, sql } = yield* originDatabase(server, 1)
      // Compiled once, with stand-ins that show where each value goes (the tag compiles it anew on every call).
      const [text, stand] = operate(sql, "\u0000account", 7_777_777, 8_888_888).compile()
      const connections = yield* pgClients(url, clients)
      const send = (client: pg.Client, i: number) => {
        const { accountId, delta } = writeOf(i)
        const values = stand.map((value) =>
          value === "\u0000account"
            ? accountId
            : value === 7_777_777
              ? delta
              : value === 8_888_888
                ? delta > 0
                  ? ceiling
                  : null
                : value,
        )
        return client.query({ text, values, ...(prepared ? { name: "origin" } : {}) })
      }
      yield* spread(connections, clients, send)
      return yield* measured(name, server, operations, spread(connections, operations, send))
    }),
})

const tally = (keyed: boolean): Case => ({
  part: `Tally's write through \`Ledger\`, ${keyed ? "keyed" : "unkeyed"}`,
  name: keyed ? "tally-keyed" : "tally",
  operations: writeOperations,
  run: (server, clients, name, operations) =>
    Effect.gen(function* () {
      const url = yield* Database.fresh(server, "tally")
      yield* PgMigrations.migrate.pipe(Effect.provide(Database.pool(url, 1)))
      const ledger = yield* seededLedger(url, clients)
      return yield* measured(name, server, operations, forEachOperation(operations, clients, write(ledger, keyed)))
    }),
})

const cases: ReadonlyArray<Case> = [
  http,
  pgSelect,
  sqlPgSelect,
  pgOrigin(false),
  pgOrigin(true),
  sqlPgOrigin,
  tally(false),
  tally(true),
]

interface Run extends CpuMeter.CpuPerOperation {
  readonly name: string
  readonly clients: number
  readonly round: number
  /** The Node process doing the work: the server for `http`, this process otherwise. */
  readonly nodeUs: number
}

const format = CpuMeter.formatUs

const program = Effect.gen(function* () {
  const server = yield* QuietServer.start("tally-floor")
  const selected = cases.flatMap((c) =>
    clientCounts
      .map((clients) => ({ case: c, clients, label: `${c.name}-${clients}` }))
      .filter(
        ({ case: c, label }) =>
          (only === undefined || only.includes(c.name) || only.includes(label)) &&
          (profiled === undefined || profiled === label),
      ),
  )
  const runs: Array<Run> = []
  for (let round = 1; round <= (profiled === undefined ? rounds : 1); round++) {
    const order = round % 2 === 1 ? selected : [...selected].reverse()
    for (const { case: c, clients, label } of order) {
      const operations = Math.round(c.operations(clients) * scale)
      const result = yield* Effect.scoped(c.run(server, clients, label, operations))
      const run: Run = { ...result, name: c.name, clients, round, nodeUs: result.processesUs.server ?? result.clientUs }
      runs.push(run)
      console.log(
        `round ${round} ${label}: node ${format(run.nodeUs)} µs/op, postgres ${format(run.postgresUs)} µs/op (${operations} in ${(run.elapsedMs / 1000).toFixed(1)} s, load ${run.loadAverage.toFixed(1)})`,
      )
    }
  }
  if (profiled !== undefined) return
  const rows = selected.map(({ case: c, clients }) => {
    const own = runs.filter((run) => run.name === c.name && run.clients === clients)
    return {
      part: c.part,
      name: c.name,
      clients,
      nodeUs: own.map((run) => run.nodeUs),
      postgresUs: own.map((run) => run.postgresUs),
      nodeMedianUs: CpuMeter.median(own.map((run) => run.nodeUs)),
      postgresMedianUs: CpuMeter.median(own.map((run) => run.postgresUs)),
    }
  })
  const loads = runs.map((run) => run.loadAverage)
  console.log(
    `\nCPU µs per operation, medians of ${rounds} rounds (each round's figures in brackets); load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on ${Os.cpus().length} cores\n`,
  )
  console.log("| part | clients | Node µs/op | PostgreSQL µs/op |")
  console.log("| --- | --- | --- | --- |")
  for (const row of rows) {
    const each = (values: ReadonlyArray<number>) => values.map(format).join(", ")
    console.log(
      `| ${row.part} | ${row.clients} | ${format(row.nodeMedianUs)} (${each(row.nodeUs)}) | ${format(row.postgresMedianUs)} (${each(row.postgresUs)}) |`,
    )
  }
  QuietServer.writeResults("floor.ts", "floor.json", server, loads, { rows, runs })
}).pipe(Effect.scoped)

await Effect.runPromise(program)
