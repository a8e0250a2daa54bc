import { execFileSync } from "node:child_process"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { PgLedgerStore } from "@tally/adapters"
import { Cause, Effect, Exit } from "effect"
import type { BenchRecord } from "./BenchRecord.ts"
import * as Database from "./Database.ts"
import * as HttpBench from "./http/HttpBench.ts"
import type * as Load from "./http/Load.ts"
import type { Implementation } from "./Implementation.ts"
import * as PureCore from "./PureCore.ts"
import * as ReadThenWrite from "./ReadThenWrite.ts"
import * as Report from "./Report.ts"
import * as SingleStatement from "./SingleStatement.ts"
import * as Tally from "./Tally.ts"
import { type Cell, type WorkloadName, workloads } from "./Workload.ts"

/**
 * `pnpm bench [--quick]`: every implementation, on the same PostgreSQL server, over the same cells
 * (workload x clients), each on a fresh database; prints the table and the targets of issue 5 and
 * writes the records as JSON.
 *
 * For tuning, `--only`, `--workload`, `--clients`, `--duration`, the Tally adapter's options
 * (`--store batchSizeMax=32,writers=4`) and its pool (`--pool 16`) narrow or change a run; such a
 * run writes `bench/results/experiment.json.tmp` unless `--out` says otherwise, so the committed
 * `latest.json` always holds the shipped defaults.
 *
 * `pnpm bench --http [--quick]` measures the service over HTTP instead (`http/HttpBench.ts`) and
 * writes `bench/results/http-latest.json`; `--workload` (`memory` names the in-memory comparison, run on
 * the hot account at the most `--clients`),
 * `--clients` (connections), `--duration` and `--repeats` narrow it the same way. `--http --profile`
 * runs the service under `node --cpu-prof` on one cell (one hot account unless `--workload` names
 * another, the most `--clients`) and summarises where
 * its time went (`bench/results/http-profile.json`; the profile itself in `http-profile.tmp/`).
 * `--http --postgres-stages` records PostgreSQL with `perf` in every measured phase and adds its
 * CPU per request by stage of a write (`http/PostgresStages.ts`) to each cell, into
 * `bench/results/http-stages.json` (perf costs CPU: those runs are not the ones to compare).
 *
 * `pnpm bench --cli [--repeats 9]` times `tally --version` and `tally balance`, built and from source,
 * against `node -e 0` (`cli-start.ts`; writes `bench/results/cli-start.json`).
 * `--keyed` measures every cell twice, without keys and with an `Idempotency-Key` of its own on every
 * write (the README tells every caller to send one): over HTTP each cell gets a `keys` column, in the
 * library bench `tally-pg-keyed` runs beside `tally-pg`. With `--profile` it profiles keyed writes.
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    workload: { type: "string" },
    clients: { type: "string" },
    duration: { type: "string" },
    store: { type: "string" },
    pool: { type: "string" },
    spans: { type: "boolean", default: false },
    "native-tracer": { type: "boolean", default: false },
    out: { type: "string" },
    http: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    cli: { type: "boolean", default: false },
    repeats: { type: "string" },
    keyed: { type: "boolean", default: false },
    "postgres-stages": { type: "boolean", default: false },
    load: { type: "string", default: "wrk" },
  },
})

/** Connections of the Tally adapter's pool: modest, since group commit needs few. */
const tallyPoolConnections = 8

const numbers = (text: string | undefined) => text?.split(",").map(Number)
const number = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text))

const settings = args.quick
  ? { clients: [1, 64], durationMs: 1_000, warmupMs: 500 }
  : { clients: [1, 16, 64], durationMs: 5_000, warmupMs: 1_000 }

/** `--store batchSizeMax=32,writers=4`: options of the PostgreSQL adapter, over its defaults. */
const storeOverrides = Object.fromEntries(
  (args.store?.split(",") ?? []).map((pair) => {
    const [name = "", value = ""] = pair.split("=")
    return [name, value === "true" ? true : value === "false" ? false : Number(value)]
  }),
)

const tallyPg: Tally.PgOptions = {
  store: { ...PgLedgerStore.defaults, ...storeOverrides },
  poolConnections: number(args.pool, tallyPoolConnections),
  profile: !args["native-tracer"],
}

const implementations: ReadonlyArray<Implementation> = [
  Tally.pg(tallyPg),
  ...(args.keyed ? [Tally.pg({ ...tallyPg, keyed: true })] : []),
  Tally.memory,
  PureCore.implementation,
  ReadThenWrite.implementation,
  SingleStatement.implementation,
].filter((i) => args.only === undefined || args.only.split(",").includes(i.name))

const cells: ReadonlyArray<Cell> = workloads
  .filter((w) => args.workload === undefined || args.workload.split(",").includes(w.workload))
  .flatMap(({ workload, accounts }) =>
    (numbers(args.clients) ?? settings.clients).map((clients) => ({
      workload,
      accounts,
      clients,
      durationMs: number(args.duration, settings.durationMs),
      warmupMs: settings.warmupMs,
    })),
  )

const experimental =
  args["native-tracer"] ||
  ["only", "workload", "clients", "duration", "store", "pool", "repeats"].some(
    (name) => args[name as keyof typeof args] !== undefined,
  ) ||
  args.load !== "wrk"
const resultsDir = Path.join(import.meta.dirname, "results")
const resultsPrefix = args.http ? "http-" : ""
const out =
  args.out ??
  Path.join(
    resultsDir,
    args.profile
      ? "http-profile.json"
      : args["postgres-stages"]
        ? "http-stages.json"
        : `${resultsPrefix}${experimental ? "experiment.json.tmp" : args.quick ? "quick.json.tmp" : "latest.json"}`,
  )

/** Which code was measured: the commit, and the files of the ledger's packages that differ from it. */
const source = () => {
  const git = (...args: Array<string>) => execFileSync("git", args, { encoding: "utf8" }).trim()
  try {
    return {
      commit: git("rev-parse", "HEAD"),
      uncommitted: git("status", "--porcelain", "--", "packages/domain", "packages/adapters", "packages/app")
        .split("\n")
        .filter(Boolean),
    }
  } catch {
    return null
  }
}

const httpConnections = numbers(args.clients) ?? [1, 16, 64]

const loadPrograms: ReadonlyArray<string> = ["wrk", "autocannon"] satisfies ReadonlyArray<Load.LoadProgram>
if (!loadPrograms.includes(args.load)) throw new Error(`--load ${args.load}: expected wrk or autocannon`)

const httpSettings: HttpBench.Settings = {
  loadProgram: args.load as Load.LoadProgram,
  workloads: workloads
    .map((w) => w.workload)
    .filter((w): w is WorkloadName => args.workload === undefined || args.workload.split(",").includes(w)),
  connections: httpConnections,
  keyed: args.keyed ? [false, true] : [false],
  memoryConnections:
    args.workload === undefined || args.workload.split(",").includes("memory") ? Math.max(...httpConnections) : null,
  postgresStages: args["postgres-stages"],
  ...(args.quick
    ? {
        repetitions: number(args.repeats, 3),
        durationMs: number(args.duration, 1_000),
        warmupMs: 300,
        processWarmupRequests: 3_000,
      }
    : {
        repetitions: number(args.repeats, 5),
        durationMs: number(args.duration, 3_000),
        warmupMs: 1_000,
        processWarmupRequests: 10_000,
      }),
}

const about = () => ({
  mode: args.quick ? "quick" : "full",
  load: args.load,
  machine: { cores: Os.cpus().length, cpu: Os.cpus()[0]?.model ?? "unknown", node: process.version },
  source: source(),
})

const library = Effect.gen(function* () {
  const startedMs = performance.now()
  const server = yield* Database.acquire
  console.log(
    `PostgreSQL ${server.version} (fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit}), ` +
      `${Os.cpus().length} cores, ${cells.length} cells x ${implementations.length} implementations`,
  )
  const records: Array<BenchRecord> = []
  for (const cell of cells) {
    for (const implementation of implementations) {
      const record = yield* implementation.run(cell, server)
      records.push(record)
      if (args.spans)
        for (const span of record.batches?.spans ?? [])
          console.log(`  ${span.meanMs.toFixed(3)} ms x ${span.count}  ${span.name}`)
      console.log(
        `${cell.workload} ${cell.clients} clients ${implementation.name}: ${Math.round(record.opsPerSecond)} ops/s, ` +
          `p50 ${record.latencyP50Ms.toFixed(3)} ms, p99 ${record.latencyP99Ms.toFixed(3)} ms` +
          (record.batches === null
            ? ""
            : `, batches ${record.batches.sizeMean.toFixed(1)} ops x ${Math.round(record.batches.batchesPerSecond)}/s of ${record.batches.durationMeanMs.toFixed(2)} ms`) +
          (record.errors > 0 ? `, ${record.errors} errors: ${record.errorSamples.join(" | ")}` : ""),
      )
    }
  }
  const reported = Report.withRatios(records)
  const targets = Report.targets(reported)
  const disturbance = Report.disturbance(records)
  console.log(`\n${Report.table(reported)}\n\n${Report.targetLines(targets)}`)
  if (disturbance !== undefined) console.log(`\n${disturbance}`)
  yield* Effect.promise(() =>
    Report.write(out, {
      generatedAt: new Date().toISOString(),
      ...about(),
      postgres: { version: server.version, fsync: server.fsync, synchronousCommit: server.synchronousCommit },
      tallyPg,
      cell: settings,
      wallClockS: (performance.now() - startedMs) / 1000,
      targets,
      disturbance: disturbance ?? null,
      records: reported,
    }),
  )
  console.log(
    `\nwrote ${Path.relative(process.cwd(), out)} in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`,
  )
}).pipe(Effect.scoped)

/** A profile is taken over a longer run than a cell's, for enough samples. */
const profileDurationMs = 10_000

const program = args.cli
  ? Effect.promise(() => import("./cli-start.ts").then((cli) => cli.run({ repeats: number(args.repeats, 9) })))
  : !args.http
    ? library
    : args.profile
      ? HttpBench.profile(
          { ...httpSettings, durationMs: number(args.duration, profileDurationMs) },
          Path.join(resultsDir, "http-profile.tmp"),
          out,
          about(),
        )
      : HttpBench.program(httpSettings, out, about())

Effect.runPromiseExit(program).then((exit) => {
  if (Exit.isFailure(exit)) {
    console.error(Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
