import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import * as Resources from "../Resources.ts"
import { accountIds, ceiling, operations, rejectionTags } from "../Workload.ts"
import type { CutOff, LoadGenerator, LoadResult, LoadRun } from "./Load.ts"

/**
 * The load generator as the held-out comparison drives both servers: wrk (Debian's `wrk`, one thread,
 * LuaJIT running `wrk-load.lua`), a process of its own per run. It sends the same operations as
 * autocannon (`Workload.operations`, written to a file the script cycles through) with the same keys
 * and counts the answers the same way, for under half of autocannon's CPU a request: at 64 connections
 * autocannon took about 100 µs a request (0.27-0.42 of a core beside Tally), wrk about 45 (0.16-0.20),
 * CPU that a server under test bound by its own would otherwise have.
 *
 * wrk counts time in whole seconds: a run's duration is rounded up to one (the measured rates use
 * wrk's own elapsed time). Its CPU is this process's exited children's (`/proc/self/stat`): the servers
 * under test and PostgreSQL outlive every run.
 */

const script = Path.join(import.meta.dirname, "wrk-load.lua")
/** The script cycles through this many operations: a run at 20,000 requests a second repeats them every second. */
const operationsPerFile = 20_000
/** Past the service's deadline for a request (15.5 s by default): a slower answer is an error, not a latency. */
const timeoutS = 30
/** A run of a number of requests stops at its last answer; this only bounds it. */
const requestsRunMaxS = 600

/**
 * What `wrk-load.lua` writes: Lua's lists arrive as objects keyed 1, 2, ... and accounts by index from
 * 0; a run of a number of requests reports its time and latencies as -1.
 */
interface WrkResult {
  readonly elapsedMs: number
  readonly responses: number
  readonly applied: number
  readonly rejected: number
  readonly errors: number
  readonly errorSamples: Record<string, string>
  readonly latencyP50Us: number
  readonly latencyP99Us: number
  readonly appliedByAccount: Record<string, number>
  readonly cutOff: Record<string, CutOff>
}

const operationsFile = (dir: string, load: LoadRun) => {
  const file = Path.join(dir, `operations-${load.accounts}-${load.stream}.tsv`)
  if (Fs.existsSync(file)) return file
  const ids = accountIds(load.accounts)
  const next = operations(load.accounts, load.stream)
  const lines = Array.from({ length: operationsPerFile }, () => {
    const { kind, account, amount } = next()
    const topUp = kind === "top-up"
    const body = JSON.stringify(topUp ? { amount, ceiling } : { amount })
    return `${account}\t${topUp ? amount : -amount}\t/v1/accounts/${ids[account]}/${topUp ? "top-ups" : "spends"}\t${body}`
  })
  Fs.writeFileSync(file, `${lines.join("\n")}\n`)
  return file
}

const reported = (value: number) => (value < 0 ? Number.NaN : value)

const resultOf = (wrk: WrkResult, accounts: number): LoadResult => ({
  elapsedMs: reported(wrk.elapsedMs),
  responses: wrk.responses,
  applied: wrk.applied,
  rejected: wrk.rejected,
  errors: wrk.errors,
  errorSamples: Object.values(wrk.errorSamples),
  latencyP50Ms: reported(wrk.latencyP50Us) / 1000,
  latencyP99Ms: reported(wrk.latencyP99Us) / 1000,
  appliedByAccount: Array.from({ length: accounts }, (_, account) => wrk.appliedByAccount[account] ?? 0),
  cutOff: Object.values(wrk.cutOff),
})

let runs = 0

const runWrk = (dir: string, load: LoadRun) =>
  Effect.callback<LoadResult>((resume) => {
    const run = ++runs
    const resultPath = Path.join(dir, `result-${run}.json`)
    const seconds = load.requests === undefined ? Math.max(1, Math.ceil(load.durationMs / 1000)) : requestsRunMaxS
    const child = spawn(
      "wrk",
      ["-t1", `-c${load.connections}`, `-d${seconds}s`, `--timeout`, `${timeoutS}s`, "-s", script, load.url],
      {
        stdio: ["ignore", "ignore", "inherit"],
        env: {
          ...process.env,
          TALLY_BENCH_OPERATIONS: operationsFile(dir, load),
          TALLY_BENCH_RESULT: resultPath,
          TALLY_BENCH_REQUESTS: String(load.requests ?? 0),
          TALLY_BENCH_REJECTIONS: rejectionTags.join(","),
          // Keys unique across the bench's runs: its pid and the run's number.
          ...(load.keyed === true ? { TALLY_BENCH_KEY_PREFIX: `bench-${process.pid}-${run}-` } : {}),
        },
      },
    )
    child.once("error", (error) =>
      resume(
        Effect.die(
          new Error(`wrk did not start (${error.message}): apt-get install wrk, or run with --load autocannon`),
        ),
      ),
    )
    child.once("exit", (code) => {
      if (code !== 0) return resume(Effect.die(new Error(`wrk exited with ${code}`)))
      const wrk = JSON.parse(Fs.readFileSync(resultPath, "utf8")) as WrkResult
      resume(Effect.succeed(resultOf(wrk, load.accounts)))
    })
  })

/** The wrk load generator for the scope, its operations' files in a directory removed with it. */
export const start = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-wrk-"))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })),
  ),
  (dir): LoadGenerator => ({
    cpuTicks: () => Resources.exitedChildrenTicks(process.pid) ?? Number.NaN,
    run: (load) => runWrk(dir, load),
  }),
)
