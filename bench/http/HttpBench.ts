import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Baseline from "../Baseline.ts"
import * as Database from "../Database.ts"
import * as Report from "../Report.ts"
import * as Resources from "../Resources.ts"
import { accountIds, seedBalance, type WorkloadName, workloads } from "../Workload.ts"
import * as CpuProfile from "./CpuProfile.ts"
import type { HttpRecord, ServerName } from "./HttpRecord.ts"
import * as HttpReport from "./HttpReport.ts"
import * as Launcher from "./Launcher.ts"
import * as Load from "./Load.ts"
import * as PostgresStages from "./PostgresStages.ts"

/**
 * `pnpm bench --http`: the Tally service and an origin-style server, each a process of its own on
 * the same PostgreSQL, driven over HTTP by a load generator in a third process. Cells alternate
 * between the two servers and repeat; the medians are compared. Then the service on `--memory`
 * against bare node:http, for the cost of the request path alone.
 */

export interface Settings {
  readonly workloads: ReadonlyArray<WorkloadName>
  readonly connections: ReadonlyArray<number>
  /** Each cell without keys, and with an `Idempotency-Key` on every write when `[false, true]`. */
  readonly keyed: ReadonlyArray<boolean>
  readonly repetitions: number
  readonly durationMs: number
  readonly warmupMs: number
  /**
   * A fresh server process first answers this many requests, so its JIT has compiled the request
   * path (on threads whose CPU counts for the process) before any cell is measured.
   */
  readonly processWarmupRequests: number
  /** Connections of the cell (one hot account) where the service on memory meets bare node:http; null skips it. */
  readonly memoryConnections: number | null
  /** Records PostgreSQL with `perf` in every measured phase, for its CPU by stage (`PostgresStages`). */
  readonly postgresStages?: boolean
  readonly loadProgram: Load.LoadProgram
}

/** A server under test, and the means to check it after a run. */
interface Subject {
  readonly name: ServerName
  readonly process: Launcher.ServerProcess
  readonly hasDatabase: boolean
  /** Requests its seeding sent through its HTTP API: they warm it up too. */
  readonly seedRequests: number
  readonly balances: Effect.Effect<ReadonlyMap<string, number>, unknown>
  /** Violations its own audit finds; null for a server without one. */
  readonly audit: Effect.Effect<number | null, unknown>
  /** Waits until requests cut off at the end of a run have finished in the server. */
  readonly settle: Effect.Effect<void, unknown>
}

const Limits = {
  /** Seeding sends this many top-ups at a time. */
  seedConcurrency: 64,
  /** Balances of a server without a database are read over HTTP, this many at a time. */
  balanceReadConcurrency: 16,
  /** The database must look idle this many times in a row, this far apart, before balances are read. */
  settleQuietPolls: 2,
  settlePollMs: 50,
  settleTimeoutMs: 10_000,
  /** A server without a database finishes a cut-off request within this. */
  settleInProcessMs: 100,
  rssSampleIntervalMs: 100,
} as const

// -----------------------------------------------------------------------------
// Talking to the servers
// -----------------------------------------------------------------------------

const request = (url: string, init?: RequestInit) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, init)
    const body = await response.text()
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${body}`)
    return JSON.parse(body) as unknown
  })

const post = (url: string, body: unknown) =>
  request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/** Every account starts at the seed balance, through the server's own top-up route. */
const seedOverHttp = (server: Launcher.ServerProcess, ids: ReadonlyArray<string>) =>
  Effect.forEach(ids, (id) => post(`${server.url}/v1/accounts/${id}/top-ups`, { amount: seedBalance }), {
    concurrency: Limits.seedConcurrency,
    discard: true,
  })

const balancesOverHttp = (server: Launcher.ServerProcess, ids: ReadonlyArray<string>) =>
  Effect.forEach(
    ids,
    (id) =>
      request(`${server.url}/v1/accounts/${id}/balance`).pipe(
        Effect.map((body) => [id, (body as { balance: number }).balance] as const),
      ),
    { concurrency: Limits.balanceReadConcurrency },
  ).pipe(Effect.map((entries) => new Map(entries)))

const auditOverHttp = (server: Launcher.ServerProcess) =>
  request(`${server.url}/v1/audit`).pipe(
    Effect.map((body) => (body as { violations: Array<unknown> }).violations.length),
  )

/** A client of one database for the scope, for the bench's own reads. */
const clientOf = (url: string) =>
  Effect.map(Layer.build(Database.pool(url, 1)), (context) => Context.get(context, SqlClient.SqlClient))

const settleDatabase = (server: Database.Server, url: string) => {
  const database = new URL(url).pathname.slice(1)
  const busy = server.admin<{ busy: bigint }>`
    SELECT count(*) AS busy FROM pg_stat_activity
    WHERE datname = ${database} AND state <> 'idle' AND pid <> pg_backend_pid()`.pipe(
    Effect.map(([row]) => Number(row!.busy)),
  )
  return Effect.gen(function* () {
    const deadlineMs = performance.now() + Limits.settleTimeoutMs
    let quiet = 0
    while (quiet < Limits.settleQuietPolls && performance.now() < deadlineMs) {
      quiet = (yield* busy) === 0 ? quiet + 1 : 0
      yield* Effect.sleep(Limits.settlePollMs)
    }
  })
}

// -----------------------------------------------------------------------------
// The servers under test
// -----------------------------------------------------------------------------

/** The service as users start it, on a fresh database that it migrates itself, seeded through its API. */
const tally = (
  server: Database.Server,
  ids: ReadonlyArray<string>,
  logDir: string,
  nodeFlags?: ReadonlyArray<string>,
) =>
  Effect.gen(function* () {
    const url = yield* Database.fresh(server, "http_tally")
    const serverProcess = yield* Launcher.tally({
      storage: { databaseUrl: url },
      logDir,
      ...(nodeFlags ? { nodeFlags } : {}),
    })
    yield* seedOverHttp(serverProcess, ids)
    const sql = yield* clientOf(url)
    return {
      name: "tally",
      process: serverProcess,
      hasDatabase: true,
      seedRequests: ids.length,
      balances: sql<{ account_id: string; balance: bigint }>`SELECT account_id, balance FROM accounts`.pipe(
        Effect.map((rows) => new Map(rows.map((row) => [row.account_id, Number(row.balance)]))),
      ),
      audit: auditOverHttp(serverProcess),
      settle: settleDatabase(server, url),
    } satisfies Subject
  })

/** The origin-style server on a fresh database with the origin's tables, seeded in SQL. */
const origin = (server: Database.Server, ids: ReadonlyArray<string>, logDir: string) =>
  Effect.gen(function* () {
    const url = yield* Database.fresh(server, "http_origin")
    const sql = yield* clientOf(url)
    const withSql = Effect.provideService(SqlClient.SqlClient, sql)
    yield* withSql(Effect.andThen(Baseline.create, Baseline.seed(ids, seedBalance)))
    const serverProcess = yield* Launcher.benchServer({
      name: "origin",
      file: "OriginServer.ts",
      logDir,
      env: { DATABASE_URL: url },
    })
    return {
      name: "origin",
      process: serverProcess,
      hasDatabase: true,
      seedRequests: 0,
      balances: withSql(Baseline.balances),
      audit: withSql(Baseline.audit).pipe(Effect.map((found) => found.brokenLinks + found.unbalancedAccounts)),
      settle: settleDatabase(server, url),
    } satisfies Subject
  })

const inMemory = (name: "tally-memory" | "bare-node", ids: ReadonlyArray<string>, logDir: string) =>
  Effect.gen(function* () {
    const serverProcess =
      name === "tally-memory"
        ? yield* Launcher.tally({ storage: "memory", logDir })
        : yield* Launcher.benchServer({ name, file: "BareServer.ts", logDir })
    yield* seedOverHttp(serverProcess, ids)
    return {
      name,
      process: serverProcess,
      hasDatabase: false,
      seedRequests: ids.length,
      balances: balancesOverHttp(serverProcess, ids),
      audit: name === "tally-memory" ? auditOverHttp(serverProcess) : Effect.succeed(null),
      settle: Effect.sleep(Limits.settleInProcessMs),
    } satisfies Subject
  })

// -----------------------------------------------------------------------------
// One run of one cell
// -----------------------------------------------------------------------------

interface Cell {
  readonly workload: WorkloadName
  readonly accounts: number
  readonly connections: number
  readonly keyed: boolean
  readonly repetition: number
  /** Seeds the operations, so both servers of a cell and repetition get the same ones. */
  readonly stream: number
}

interface Snapshot {
  readonly atMs: number
  /** The clock of V8's CPU profiles, to find the measured phase in one. */
  readonly monotonicUs: number
  readonly serverTicks: number
  readonly serverThreads: Resources.ThreadTicks
  readonly loadTicks: number
  readonly benchCpuUs: number
  readonly machine: Resources.Ticks
}

const snapshot = (pid: number, load: Load.LoadGenerator, postmasterPid: number | undefined): Snapshot => {
  const cpu = process.cpuUsage()
  return {
    atMs: performance.now(),
    monotonicUs: Number(process.hrtime.bigint() / 1000n),
    serverTicks: Resources.processTicks(pid) ?? Number.NaN,
    serverThreads: Resources.threadTicks(pid),
    loadTicks: load.cpuTicks(),
    benchCpuUs: cpu.user + cpu.system,
    machine: Resources.ticks(postmasterPid),
  }
}

/**
 * The id the server's next writing transaction will get: the transactions that wrote between two
 * readings, in every database (only the server measured writes meanwhile). Reading it assigns none.
 */
const nextTransactionId = (server: Database.Server) =>
  Effect.map(server.admin<{ xid: string }>`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid`, ([row]) =>
    Number(row!.xid),
  ).pipe(Effect.orDie)

/** Peak RSS of a process while the scope is open. */
const rssSampler = (pid: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const peak = { bytes: Resources.processRssBytes(pid) ?? 0 }
      const timer = setInterval(() => {
        peak.bytes = Math.max(peak.bytes, Resources.processRssBytes(pid) ?? 0)
      }, Limits.rssSampleIntervalMs)
      return { peak, timer }
    }),
    ({ timer }) => Effect.sync(() => clearInterval(timer)),
  ).pipe(Effect.map(({ peak }) => peak))

/**
 * Credits the balances moved by beyond what the answers of 200 said, and beyond what the writes cut
 * off at the end of the run could have moved (each of those may or may not have landed).
 */
const lostCredits = (
  ids: ReadonlyArray<string>,
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  result: Load.LoadResult,
) => {
  const lowest = new Float64Array(ids.length)
  const highest = new Float64Array(ids.length)
  for (const { account, amount } of result.cutOff) {
    if (amount < 0) lowest[account]! += amount
    else highest[account]! += amount
  }
  let lost = 0
  ids.forEach((id, i) => {
    const unexplained = (after.get(id) ?? 0) - (before.get(id) ?? 0) - result.appliedByAccount[i]!
    lost += Math.max(0, lowest[i]! - unexplained, unexplained - highest[i]!)
  })
  return lost
}

/** One run of one cell on one server, and when its measured phase was on the monotonic clock. */
const measureWindow = (
  subject: Subject,
  cell: Cell,
  settings: Settings,
  load: Load.LoadGenerator,
  server: Database.Server,
) =>
  Effect.gen(function* () {
    const ids = accountIds(cell.accounts)
    const run = { url: subject.process.url, accounts: cell.accounts, connections: cell.connections, keyed: cell.keyed }
    yield* load.run({ ...run, durationMs: settings.warmupMs, stream: cell.stream * 2 })
    yield* subject.settle
    yield* Database.checkpoint(server)
    const before = yield* subject.balances
    const [result, start, end, rssBytesMax, postgresStages, writeTransactions] = yield* Effect.scoped(
      Effect.gen(function* () {
        const rss = yield* rssSampler(subject.process.pid)
        const stages =
          settings.postgresStages === true && subject.hasDatabase && server.postmasterPid !== undefined
            ? yield* PostgresStages.record(server.postmasterPid)
            : Effect.succeed(null)
        const xidsBefore = yield* nextTransactionId(server)
        const start = snapshot(subject.process.pid, load, server.postmasterPid)
        const result = yield* load.run({ ...run, durationMs: settings.durationMs, stream: cell.stream * 2 + 1 })
        const end = snapshot(subject.process.pid, load, server.postmasterPid)
        const xidsAfter = yield* nextTransactionId(server)
        return [result, start, end, rss.bytes, yield* stages, xidsAfter - xidsBefore] as const
      }),
    )
    yield* subject.settle
    const auditViolations = yield* subject.audit
    const after = yield* subject.balances
    const elapsedS = (end.atMs - start.atMs) / 1000
    const seconds = (ticks: number) => ticks / Resources.ticksPerSecond
    const cores = (ticks: number) => seconds(ticks) / elapsedS
    const serverCores = cores(end.serverTicks - start.serverTicks)
    const postgresCores = cores(end.machine.postgres - start.machine.postgres)
    const loadGeneratorCores = cores(end.loadTicks - start.loadTicks)
    const benchCores = (end.benchCpuUs - start.benchCpuUs) / 1e6 / elapsedS
    const machineCores = cores(end.machine.machine - start.machine.machine)
    const kernelCores = cores(end.machine.kernelThreads - start.machine.kernelThreads)
    const perRequestUs = (ticks: number) => (seconds(ticks) * 1e6) / result.responses
    const record = {
      workload: cell.workload,
      accounts: cell.accounts,
      connections: cell.connections,
      keyed: cell.keyed,
      server: subject.name,
      repetition: cell.repetition,
      durationS: result.elapsedMs / 1000,
      responses: result.responses,
      requestsPerSecond: result.responses / (result.elapsedMs / 1000),
      latencyP50Ms: result.latencyP50Ms,
      latencyP99Ms: result.latencyP99Ms,
      applied: result.applied,
      rejected: result.rejected,
      errors: result.errors,
      errorSamples: result.errorSamples,
      serverCpuUsPerRequest: perRequestUs(end.serverTicks - start.serverTicks),
      serverCores,
      postgresCpuUsPerRequest: subject.hasDatabase ? perRequestUs(end.machine.postgres - start.machine.postgres) : null,
      postgresCores,
      loadGeneratorCores,
      otherCores: Math.max(
        0,
        machineCores - kernelCores - serverCores - postgresCores - loadGeneratorCores - benchCores,
      ),
      serverRssMbMax: rssBytesMax / 2 ** 20,
      cpuSplitUsPerRequest: {
        serverMainUser: perRequestUs(end.serverThreads.mainUser - start.serverThreads.mainUser),
        serverMainSystem: perRequestUs(end.serverThreads.mainSystem - start.serverThreads.mainSystem),
        serverOtherThreads: perRequestUs(end.serverThreads.otherThreads - start.serverThreads.otherThreads),
        postgresUser: subject.hasDatabase ? perRequestUs(end.machine.postgresUser - start.machine.postgresUser) : null,
        postgresSystem: subject.hasDatabase
          ? perRequestUs(end.machine.postgresSystem - start.machine.postgresSystem)
          : null,
      },
      postgresStages,
      writeTransactionsPerRequest: subject.hasDatabase ? writeTransactions / result.responses : null,
      auditViolations,
      lostCredits: lostCredits(ids, before, after, result),
    } satisfies HttpRecord
    return { record, window: { fromUs: start.monotonicUs, toUs: end.monotonicUs } }
  })

const measure = (...args: Parameters<typeof measureWindow>) =>
  Effect.map(measureWindow(...args), ({ record }) => record)

const runLine = (r: HttpRecord) =>
  `${r.workload} ${r.connections} conns${r.keyed ? " keyed" : ""} ${r.server} #${r.repetition + 1}: ${Math.round(r.requestsPerSecond)} req/s, ` +
  `p50 ${r.latencyP50Ms.toFixed(3)} ms, p99 ${r.latencyP99Ms.toFixed(3)} ms, ${r.serverCpuUsPerRequest.toFixed(0)} µs CPU/req, ` +
  `rss ${r.serverRssMbMax.toFixed(0)} MB` +
  (r.auditViolations ? `, ${r.auditViolations} AUDIT VIOLATIONS` : "") +
  (r.lostCredits ? `, ${r.lostCredits} LOST CREDITS` : "") +
  (r.errors > 0 ? `, ${r.errors} errors: ${r.errorSamples.join(" | ")}` : "")

/** Connections and operations of a fresh process's warm-up: some concurrency, and a stream no cell uses. */
const processWarmup = { connections: 16, stream: 99_999, durationMs: 0 }

/** A fresh server's warm-up, less what its seeding already sent. */
const warmUp = (subject: Subject, accounts: number, settings: Settings, load: Load.LoadGenerator) => {
  const requests = settings.processWarmupRequests - subject.seedRequests
  return requests <= 0
    ? Effect.void
    : Effect.asVoid(load.run({ url: subject.process.url, accounts, requests, ...processWarmup }))
}

/** Two servers, alternating within each repetition, the first one first in even repetitions. */
const alternate = (
  pair: readonly [Subject, Subject],
  cells: (repetition: number) => ReadonlyArray<Cell>,
  settings: Settings,
  load: Load.LoadGenerator,
  server: Database.Server,
) =>
  Effect.gen(function* () {
    const accounts = cells(0)[0]?.accounts ?? 1
    for (const subject of pair) yield* warmUp(subject, accounts, settings, load)
    const records: Array<HttpRecord> = []
    for (let repetition = 0; repetition < settings.repetitions; repetition++) {
      for (const cell of cells(repetition)) {
        for (const subject of repetition % 2 === 0 ? pair : [pair[1], pair[0]]) {
          const record = yield* measure(subject, cell, settings, load, server)
          console.log(runLine(record))
          records.push(record)
        }
      }
    }
    return records
  })

/** A directory for the servers' logs, removed with the scope. */
const logDirectory = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-http-bench-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })),
)

const accountsOf = (workload: WorkloadName) => workloads.find((w) => w.workload === workload)!.accounts

/** Every cell of the run, and the records of each. */
export const measureAll = (settings: Settings) =>
  Effect.gen(function* () {
    const server = yield* Database.acquire
    const logDir = yield* logDirectory
    const load = yield* Load.start(settings.loadProgram)
    console.log(
      `PostgreSQL ${server.version} (fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit}), ` +
        `${Os.cpus().length} cores; ${settings.repetitions} repetitions of ${settings.durationMs} ms after ${settings.warmupMs} ms of warm-up`,
    )
    const records: Array<HttpRecord> = []
    for (const [w, workload] of settings.workloads.entries()) {
      const accounts = accountsOf(workload)
      const ids = accountIds(accounts)
      const measured = yield* Effect.scoped(
        Effect.gen(function* () {
          const pair = [yield* tally(server, ids, logDir), yield* origin(server, ids, logDir)] as const
          const cells = (repetition: number) =>
            settings.keyed.flatMap((keyed) =>
              settings.connections.map((connections, c) => ({
                workload,
                accounts,
                connections,
                keyed,
                repetition,
                stream: (w * 100 + repetition) * 100 + c,
              })),
            )
          return yield* alternate(pair, cells, settings, load, server)
        }),
      )
      records.push(...measured)
    }
    if (settings.memoryConnections === null) return { records, postgres: server }
    const memoryConnections = settings.memoryConnections
    const ids = accountIds(1)
    const memory = yield* Effect.scoped(
      Effect.gen(function* () {
        const pair = [yield* inMemory("tally-memory", ids, logDir), yield* inMemory("bare-node", ids, logDir)] as const
        const cells = (repetition: number) => [
          {
            workload: "hot-account" as const,
            accounts: 1,
            connections: memoryConnections,
            keyed: false,
            repetition,
            stream: 90_000 + repetition,
          },
        ]
        return yield* alternate(pair, cells, settings, load, server)
      }),
    )
    records.push(...memory)
    return { records, postgres: server }
  }).pipe(Effect.scoped)

/** Measures, prints the table and the targets of issue 11, and writes the records as JSON to `out`. */
export const program = (settings: Settings, out: string, about: Record<string, unknown>) =>
  Effect.gen(function* () {
    const startedMs = performance.now()
    const { records, postgres } = yield* measureAll(settings)
    const summaries = HttpReport.summarize(records)
    const targets = [
      ...HttpReport.targets(summaries.filter((s) => !s.keyed)),
      ...(settings.keyed.includes(true)
        ? HttpReport.targets(summaries.filter((s) => s.keyed)).map((t) => ({ ...t, target: `keyed: ${t.target}` }))
        : []),
    ]
    const disturbance = HttpReport.disturbance(records)
    console.log(
      `\n${HttpReport.table(summaries)}\n\n${HttpReport.splitTables(summaries)}\n\n${Report.targetLines(targets)}`,
    )
    if (disturbance !== undefined) console.log(`\n${disturbance}`)
    const wallClockS = (performance.now() - startedMs) / 1000
    yield* Effect.promise(() =>
      Report.write(out, {
        generatedAt: new Date().toISOString(),
        ...about,
        postgres: { version: postgres.version, fsync: postgres.fsync, synchronousCommit: postgres.synchronousCommit },
        tally: {
          launch: `node ${Path.relative(Launcher.repositoryRoot, Launcher.tallyScript)} serve (packages/app/src/main.ts built with esbuild, Tally's packages bundled)`,
          settings: "the defaults (pool 10, log level Info)",
        },
        settings,
        wallClockS,
        targets,
        disturbance: disturbance ?? null,
        summaries,
        records,
      }),
    )
    console.log(`\nwrote ${Path.relative(process.cwd(), out)} in ${wallClockS.toFixed(1)} s`)
  })

/**
 * `pnpm bench --http --profile`: the service under `node --cpu-prof` on one cell (the first workload
 * `--workload` names, one hot account unless told; the busiest connections), and where its main thread's time went during the measured phase.
 * Writes the profile (for Chrome's DevTools) into `profileDir` and the summary as JSON to `out`.
 */
export const profile = (settings: Settings, profileDir: string, out: string, about: Record<string, unknown>) =>
  Effect.gen(function* () {
    const server = yield* Database.acquire
    const logDir = yield* logDirectory
    const load = yield* Load.start(settings.loadProgram)
    Fs.rmSync(profileDir, { recursive: true, force: true })
    Fs.mkdirSync(profileDir, { recursive: true })
    const { workload, accounts } =
      workloads.find(({ workload }) => settings.workloads.includes(workload)) ?? workloads[0]!
    const ids = accountIds(accounts)
    const cell = {
      workload,
      accounts,
      connections: Math.max(...settings.connections),
      keyed: settings.keyed.includes(true),
      repetition: 0,
      stream: 0,
    }
    const { record, window } = yield* Effect.scoped(
      Effect.gen(function* () {
        const subject = yield* tally(server, ids, logDir, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`])
        yield* warmUp(subject, accounts, settings, load)
        return yield* measureWindow(subject, cell, settings, load, server)
      }),
    )
    // The service wrote its profile when it stopped, with the scope.
    const file = Fs.readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"))
    if (file === undefined) return yield* Effect.die(new Error(`the service wrote no profile into ${profileDir}`))
    const profilePath = Path.join(profileDir, file)
    const summary = CpuProfile.summarize(JSON.parse(Fs.readFileSync(profilePath, "utf8")) as CpuProfile.Profile, window)
    console.log(`${runLine(record)}

${CpuProfile.text(summary)}

profile: ${Path.relative(process.cwd(), profilePath)}`)
    yield* Effect.promise(() =>
      Report.write(out, { generatedAt: new Date().toISOString(), ...about, settings, record, window, summary }),
    )
    console.log(`wrote ${Path.relative(process.cwd(), out)}`)
  }).pipe(Effect.scoped)
