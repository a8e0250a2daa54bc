import type { WorkloadName } from "../Workload.ts"
import type { Stage } from "./PostgresStages.ts"

/**
 * One server on one cell, one repetition: what `bench/results/http-latest.json` holds a list of.
 * `tally` and `origin` run on PostgreSQL; `tally-memory` (the service with `--memory`) and
 * `bare-node` (node:http answering JSON) measure the cost of the request path alone.
 */
export type ServerName = "tally" | "origin" | "tally-memory" | "bare-node"

export interface HttpRecord {
  readonly workload: WorkloadName
  readonly accounts: number
  readonly connections: number
  /** Every write carried an `Idempotency-Key` of its own. */
  readonly keyed: boolean
  readonly server: ServerName
  readonly repetition: number
  readonly durationS: number
  readonly responses: number
  readonly requestsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly applied: number
  readonly rejected: number
  readonly errors: number
  readonly errorSamples: ReadonlyArray<string>
  /** CPU of the server's process (utime + stime in /proc, all its threads) per answer, in µs. */
  readonly serverCpuUsPerRequest: number
  readonly serverCores: number
  /** CPU of the PostgreSQL server's processes per answer; null for a server without a database. */
  readonly postgresCpuUsPerRequest: number | null
  readonly postgresCores: number
  readonly loadGeneratorCores: number
  /** Busy cores of the rest of the machine (other people's work): figures are disturbed when high. */
  readonly otherCores: number
  /** Peak resident memory of the server's process during the measured phase. */
  readonly serverRssMbMax: number
  /**
   * `serverCpuUsPerRequest` and `postgresCpuUsPerRequest` by where the CPU went: the server's main
   * thread (its JavaScript) in user space and in the kernel, its other threads (V8's collector and
   * compiler); PostgreSQL in user space (executing) and in the kernel (sockets, WAL writes and flushes).
   */
  readonly cpuSplitUsPerRequest: {
    readonly serverMainUser: number
    readonly serverMainSystem: number
    readonly serverOtherThreads: number
    readonly postgresUser: number | null
    readonly postgresSystem: number | null
  }
  /**
   * Transactions that wrote, per answer (a compare-and-swap statement is one, a locked batch one more):
   * 1 for one statement per write, less when writes share a batch; null for a server without a database.
   */
  readonly writeTransactionsPerRequest: number | null
  /** With `--postgres-stages`: shares of PostgreSQL's CPU samples by stage of a write; else null. */
  readonly postgresStages: Record<Stage, number> | null
  /** The server's own audit after the cell; null for a server that has none. */
  readonly auditViolations: number | null
  /**
   * Credits the stored balances moved by that neither the answers of 200 nor the writes cut off at
   * the end of the run can explain; null for a server whose balances are not read back. Zero when
   * no acknowledged write was lost or invented.
   */
  readonly lostCredits: number | null
}
