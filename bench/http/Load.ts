import { fork } from "node:child_process"
import * as Path from "node:path"
import { Effect, type Scope } from "effect"
import * as Resources from "../Resources.ts"
import { repositoryRoot } from "./Launcher.ts"
import * as WrkLoad from "./WrkLoad.ts"

/**
 * The load generator, seen from the bench: a process of its own, so sending requests never shares a
 * CPU core's event loop with a server under test. wrk by default (`WrkLoad.ts`, a process per run);
 * autocannon with `--load autocannon` (`LoadGenerator.ts`, forked once, taking one run at a time over
 * the IPC channel). Both keep their connections alive and send the same operations.
 */

export interface LoadRun {
  readonly url: string
  readonly accounts: number
  readonly connections: number
  /** How long the run lasts, or how many requests it sends when `requests` is given. */
  readonly durationMs: number
  readonly requests?: number
  /** Seeds the operations: the same stream for every server of the same cell and repetition. */
  readonly stream: number
  /** Every write carries an `Idempotency-Key` of its own, as the README asks callers to send. */
  readonly keyed?: boolean
}

/** A write whose answer never came: sent, or about to be, when the run stopped and closed its connection. */
export interface CutOff {
  readonly account: number
  /** Signed: what the write would move into the account at most. */
  readonly amount: number
}

export interface LoadResult {
  readonly elapsedMs: number
  /** Answers received, whatever their status. */
  readonly responses: number
  readonly applied: number
  /** 409s with a rule's tag: normal outcomes of the workload. */
  readonly rejected: number
  /** Other statuses, connection errors and timeouts. */
  readonly errors: number
  readonly errorSamples: ReadonlyArray<string>
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  /** Credits each account gained or lost through answers of 200, by index into the account ids. */
  readonly appliedByAccount: ReadonlyArray<number>
  readonly cutOff: ReadonlyArray<CutOff>
}

export interface LoadGenerator {
  /** CPU ticks the generator has used so far. */
  readonly cpuTicks: () => number
  readonly run: (run: LoadRun) => Effect.Effect<LoadResult>
}

/** Which program sends the requests: wrk, as the held-out comparison does, or autocannon (in Node). */
export type LoadProgram = "wrk" | "autocannon"

/** Starts the load generator for the scope. */
export const start = (program: LoadProgram): Effect.Effect<LoadGenerator, never, Scope.Scope> =>
  program === "wrk" ? WrkLoad.start : autocannon

/** autocannon's process, forked for the scope (the floor bench counts its CPU by pid). */
export const autocannon = Effect.acquireRelease(
  Effect.sync(() =>
    fork(Path.join(repositoryRoot, "bench", "http", "LoadGenerator.ts"), [], {
      cwd: repositoryRoot,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  ),
  (child) => Effect.sync(() => child.kill("SIGTERM")),
).pipe(
  Effect.map((child): LoadGenerator & { readonly pid: number } => ({
    pid: child.pid ?? -1,
    cpuTicks: () => (child.pid === undefined ? Number.NaN : (Resources.processTicks(child.pid) ?? Number.NaN)),
    run: (run) =>
      Effect.callback<LoadResult>((resume) => {
        const onExit = (code: number | null) => resume(Effect.die(new Error(`the load generator exited (${code})`)))
        child.once("exit", onExit)
        child.once("message", (result) => {
          child.off("exit", onExit)
          resume(Effect.succeed(result as LoadResult))
        })
        child.send(run)
      }),
  })),
)
