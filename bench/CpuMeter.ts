import * as Fs from "node:fs"
import { Effect } from "effect"
import { processTicks, ticks, ticksPerSecond } from "./Resources.ts"

/**
 * CPU per operation of a measured run, read from /proc: this process (the client: a driver, the
 * ledger), optionally other processes of the bench (a server, the load generator), and PostgreSQL
 * (the postmaster and all its children, exited backends included). CPU time, unlike throughput,
 * holds up when other work loads the machine, so runs taken minutes apart on a busy machine still
 * compare; the load average is recorded with each run to say how busy it was. Linux only.
 */
export interface CpuPerOperation {
  readonly operations: number
  /** This process's CPU, µs per operation. */
  readonly clientUs: number
  /** The CPU of each other process measured, by name, µs per operation. */
  readonly processesUs: Readonly<Record<string, number>>
  readonly postgresUs: number
  readonly elapsedMs: number
  /** The machine's 1-minute load average when the run ended. */
  readonly loadAverage: number
}

export const loadAverage = () => Number(Fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0])

const perOperationUs = (seconds: number, operations: number) => (seconds * 1e6) / operations

/** Runs `run`, which performs `operations` operations, and reports the CPU each cost. */
export const measure = <E, R>(
  options: {
    readonly operations: number
    readonly postmasterPid: number
    readonly processes?: Readonly<Record<string, number>> | undefined
  },
  run: Effect.Effect<unknown, E, R>,
) =>
  Effect.gen(function* () {
    const processes = Object.entries(options.processes ?? {})
    const processesBefore = processes.map(([, pid]) => processTicks(pid) ?? 0)
    const postgresBefore = ticks(options.postmasterPid).postgres
    const clientBefore = process.cpuUsage()
    const startedMs = performance.now()
    yield* run
    const elapsedMs = performance.now() - startedMs
    const client = process.cpuUsage(clientBefore)
    const postgres = (ticks(options.postmasterPid).postgres - postgresBefore) / ticksPerSecond
    const processesUs = Object.fromEntries(
      processes.map(([name, pid], i) => [
        name,
        perOperationUs(((processTicks(pid) ?? 0) - processesBefore[i]!) / ticksPerSecond, options.operations),
      ]),
    )
    return {
      operations: options.operations,
      clientUs: (client.user + client.system) / options.operations,
      processesUs,
      postgresUs: perOperationUs(postgres, options.operations),
      elapsedMs,
      loadAverage: loadAverage(),
    } satisfies CpuPerOperation
  })

export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** A CPU figure in µs as the bench tables print it: one decimal under 100. */
export const formatUs = (us: number) => us.toFixed(us < 100 ? 1 : 0)
