import { percentile } from "./ClosedLoop.ts"
import type { Measurement } from "./Target.ts"
import type { Cell, WorkloadName } from "./Workload.ts"

export type ImplementationName =
  | "tally-pg"
  | "tally-pg-keyed"
  | "tally-memory"
  | "pure-core"
  | "read-then-write"
  | "single-statement"

/** Group commit as the Tally PostgreSQL adapter did it during the measured phase. */
export interface BatchStats {
  readonly batches: number
  readonly batchesPerSecond: number
  readonly sizeMean: number
  readonly sizeP50: number
  readonly sizeMax: number
  /** Wall time of one batch: lock, decide, write, commit (and any retry). */
  readonly durationMeanMs: number
  /** Where the time goes: the spans with the most total time (they nest, so times overlap). */
  readonly spans: ReadonlyArray<SpanTime>
}

export interface SpanTime {
  readonly name: string
  readonly count: number
  readonly meanMs: number
}

/** One implementation on one cell: what `bench/results/latest.json` holds a list of. */
export interface BenchRecord {
  readonly workload: WorkloadName
  readonly accounts: number
  readonly clients: number
  readonly implementation: ImplementationName
  /** Connections of its pool; null when it uses none. */
  readonly poolConnections: number | null
  readonly durationS: number
  readonly ops: number
  readonly opsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly applied: number
  /** Rule rejections (at ceiling, insufficient credits): normal outcomes, not failures. */
  readonly rejected: number
  readonly errors: number
  readonly errorSamples: ReadonlyArray<string>
  readonly auditViolations: number
  readonly lostUpdates: number | null
  readonly lostCredits: number | null
  readonly nodeCores: number
  readonly postgresCores: number | null
  /** CPU used by other processes during the measurement: the figures are disturbed when it is high. */
  readonly otherCores: number
  /** Peak RSS of the bench process, which hosts Tally: the server's memory. */
  readonly rssMbMax: number
  /** Peak V8 heap in use during the cell; RSS of a long run may still hold earlier cells' memory. */
  readonly heapMbMax: number
  readonly batches: BatchStats | null
}

export const fromMeasurement = (
  cell: Cell,
  implementation: ImplementationName,
  poolConnections: number | null,
  { run, usage, audit, lostCredits }: Measurement,
  batches: BatchStats | null = null,
): BenchRecord => ({
  workload: cell.workload,
  accounts: cell.accounts,
  clients: cell.clients,
  implementation,
  poolConnections,
  durationS: run.elapsedMs / 1000,
  ops: run.ops,
  opsPerSecond: run.ops / (run.elapsedMs / 1000),
  latencyP50Ms: percentile(run.latenciesMs, 50),
  latencyP99Ms: percentile(run.latenciesMs, 99),
  applied: run.applied,
  rejected: run.rejected,
  errors: run.errors,
  errorSamples: run.errorSamples,
  auditViolations: audit.violations,
  lostUpdates: audit.lostUpdates,
  lostCredits,
  nodeCores: usage.nodeCores,
  postgresCores: usage.postgresCores,
  otherCores: usage.otherCores,
  rssMbMax: usage.rssMbMax,
  heapMbMax: usage.heapMbMax,
  batches,
})
