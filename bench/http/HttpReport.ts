import type { Target } from "../Report.ts"
import type { WorkloadName } from "../Workload.ts"
import type { HttpRecord, ServerName } from "./HttpRecord.ts"
import { type Stage, stageNames } from "./PostgresStages.ts"

/** The repetitions of each cell folded into medians, side by side with the origin-style server, and the targets of issue 11. */

export interface Summary {
  readonly workload: WorkloadName
  readonly connections: number
  readonly keyed: boolean
  readonly server: ServerName
  readonly runs: number
  readonly requestsPerSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly serverCpuUsPerRequest: number
  readonly postgresCpuUsPerRequest: number | null
  readonly serverCores: number
  readonly postgresCores: number
  readonly loadGeneratorCores: number
  readonly otherCores: number
  readonly writeTransactionsPerRequest: number | null
  /** Medians of each part of `HttpRecord.cpuSplitUsPerRequest`. */
  readonly cpuSplitUsPerRequest: HttpRecord["cpuSplitUsPerRequest"]
  /** With `--postgres-stages`: PostgreSQL's CPU per request by stage, µs (medians of share x CPU); else null. */
  readonly postgresStagesUsPerRequest: Record<Stage, number> | null
  /** The highest of the runs: the target is a bound on memory, not a typical value. */
  readonly serverRssMbMax: number
  /** Sums over the runs. */
  readonly errors: number
  readonly auditViolations: number | null
  readonly lostCredits: number | null
  /**
   * Medians divided by those of the server it is compared with (the origin-style server for `tally`,
   * bare node:http for `tally-memory`): requests/s above 1 and latencies below 1 are better.
   */
  readonly vsBaseline: {
    readonly requestsPerSecond: number
    readonly latencyP50: number
    readonly latencyP99: number
  } | null
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const sumOrNull = (values: ReadonlyArray<number | null>) =>
  values.some((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + v!, 0)

const fold = (runs: ReadonlyArray<HttpRecord>): Omit<Summary, "vsBaseline"> => {
  const first = runs[0]!
  const of = (pick: (r: HttpRecord) => number) => median(runs.map(pick))
  /** The median, or null where the server has no database (null in every run). */
  const ofNullable = (pick: (r: HttpRecord) => number | null) =>
    pick(first) === null ? null : median(runs.map((r) => pick(r) ?? 0))
  return {
    workload: first.workload,
    connections: first.connections,
    keyed: first.keyed,
    server: first.server,
    runs: runs.length,
    requestsPerSecond: of((r) => r.requestsPerSecond),
    latencyP50Ms: of((r) => r.latencyP50Ms),
    latencyP99Ms: of((r) => r.latencyP99Ms),
    serverCpuUsPerRequest: of((r) => r.serverCpuUsPerRequest),
    postgresCpuUsPerRequest: ofNullable((r) => r.postgresCpuUsPerRequest),
    serverCores: of((r) => r.serverCores),
    postgresCores: of((r) => r.postgresCores),
    loadGeneratorCores: of((r) => r.loadGeneratorCores),
    otherCores: of((r) => r.otherCores),
    writeTransactionsPerRequest: ofNullable((r) => r.writeTransactionsPerRequest),
    cpuSplitUsPerRequest: {
      serverMainUser: of((r) => r.cpuSplitUsPerRequest.serverMainUser),
      serverMainSystem: of((r) => r.cpuSplitUsPerRequest.serverMainSystem),
      serverOtherThreads: of((r) => r.cpuSplitUsPerRequest.serverOtherThreads),
      postgresUser: ofNullable((r) => r.cpuSplitUsPerRequest.postgresUser),
      postgresSystem: ofNullable((r) => r.cpuSplitUsPerRequest.postgresSystem),
    },
    postgresStagesUsPerRequest: runs.every((r) => r.postgresStages !== null)
      ? (Object.fromEntries(
          stageNames.map((stage) => [stage, of((r) => r.postgresStages![stage] * (r.postgresCpuUsPerRequest ?? 0))]),
        ) as Record<Stage, number>)
      : null,
    serverRssMbMax: Math.max(...runs.map((r) => r.serverRssMbMax)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    auditViolations: sumOrNull(runs.map((r) => r.auditViolations)),
    lostCredits: sumOrNull(runs.map((r) => r.lostCredits)),
  }
}

/** The server each one is compared with: Tally with the origin's service, Tally in memory with bare node:http. */
const comparedWith: Record<ServerName, ServerName | null> = {
  tally: "origin",
  origin: null,
  "tally-memory": "bare-node",
  "bare-node": null,
}

export const summarize = (records: ReadonlyArray<HttpRecord>): ReadonlyArray<Summary> => {
  const groups = new Map<string, Array<HttpRecord>>()
  for (const r of records) {
    const key = `${r.workload}/${r.connections}/${r.keyed}/${r.server}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const folded = [...groups.values()].map(fold)
  return folded.map((s) => {
    const other = folded.find(
      (o) =>
        o.server === comparedWith[s.server] &&
        o.workload === s.workload &&
        o.connections === s.connections &&
        o.keyed === s.keyed,
    )
    return {
      ...s,
      vsBaseline:
        other === undefined
          ? null
          : {
              requestsPerSecond: s.requestsPerSecond / other.requestsPerSecond,
              latencyP50: s.latencyP50Ms / other.latencyP50Ms,
              latencyP99: s.latencyP99Ms / other.latencyP99Ms,
            },
    }
  })
}

const fixed = (digits: number) => (n: number | null) => (n === null || Number.isNaN(n) ? "-" : n.toFixed(digits))
const ratio = (n: number | undefined) => (n === undefined ? "-" : `${n.toFixed(2)}x`)
const count = (n: number | null) => (n === null ? "-" : String(n))

const columns: ReadonlyArray<readonly [string, (s: Summary) => string]> = [
  ["workload", (s) => s.workload],
  ["conns", (s) => String(s.connections)],
  ["keys", (s) => (s.keyed ? "yes" : "no")],
  ["server", (s) => s.server],
  ["req/s", (s) => Math.round(s.requestsPerSecond).toString()],
  ["p50 ms", (s) => s.latencyP50Ms.toFixed(3)],
  ["p99 ms", (s) => s.latencyP99Ms.toFixed(3)],
  ["req/s vs", (s) => ratio(s.vsBaseline?.requestsPerSecond)],
  ["p50 vs", (s) => ratio(s.vsBaseline?.latencyP50)],
  ["p99 vs", (s) => ratio(s.vsBaseline?.latencyP99)],
  ["cpu µs/req", (s) => fixed(0)(s.serverCpuUsPerRequest)],
  ["pg µs/req", (s) => fixed(0)(s.postgresCpuUsPerRequest)],
  ["pg writes/req", (s) => fixed(3)(s.writeTransactionsPerRequest)],
  ["server cores", (s) => fixed(2)(s.serverCores)],
  ["pg cores", (s) => fixed(2)(s.postgresCores)],
  ["load cores", (s) => fixed(2)(s.loadGeneratorCores)],
  ["other cores", (s) => fixed(2)(s.otherCores)],
  ["rss MB max", (s) => fixed(0)(s.serverRssMbMax)],
  ["errors", (s) => String(s.errors)],
  ["violations", (s) => count(s.auditViolations)],
  ["lost credits", (s) => count(s.lostCredits)],
  ["runs", (s) => String(s.runs)],
]

export const table = (summaries: ReadonlyArray<Summary>): string => {
  const rows = [columns.map(([title]) => title), ...summaries.map((s) => columns.map(([, cell]) => cell(s)))]
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const line = (row: ReadonlyArray<string>) =>
    row.map((text, i) => (i < 3 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join("  ")
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n")
}

const cellName = (s: Summary) => `${s.workload} ${s.connections} conn${s.keyed ? " keyed" : ""} ${s.server}`

/**
 * Where each server's CPU per request went (medians, µs): the server's main thread in user space and
 * in the kernel, its other threads, PostgreSQL in user space and in the kernel; and, when recorded,
 * PostgreSQL's by stage of a write, a column per cell and server.
 */
export const splitTables = (summaries: ReadonlyArray<Summary>): string => {
  const split = summaries.map((s) => {
    const c = s.cpuSplitUsPerRequest
    return `| ${cellName(s)} | ${[c.serverMainUser, c.serverMainSystem, c.serverOtherThreads, c.postgresUser, c.postgresSystem].map(fixed(0)).join(" | ")} |`
  })
  const staged = summaries.filter((s) => s.postgresStagesUsPerRequest !== null)
  const stages =
    staged.length === 0
      ? []
      : [
          "",
          `| PostgreSQL µs/request by stage | ${staged.map(cellName).join(" | ")} |`,
          `| --- |${" --- |".repeat(staged.length)}`,
          ...stageNames.map(
            (stage) =>
              `| ${stage} | ${staged.map((s) => fixed(0)(s.postgresStagesUsPerRequest![stage])).join(" | ")} |`,
          ),
        ]
  return [
    "| cell | main thread user µs/req | main thread kernel | other threads | PostgreSQL user | PostgreSQL kernel |",
    "| --- | --- | --- | --- | --- | --- |",
    ...split,
    ...stages,
  ].join("\n")
}

/** The issue's bounds, each defined once. */
const Bounds = {
  hotAccountBusyRatioMin: 5,
  manyAccountsBusyRatioMin: 2.5,
  moderateRatioMin: 2,
  aloneP50RatioMax: 1.1,
  loadedP99RatioMax: 1,
  memoryCpuUsPerRequestMax: 60,
  busyRssMbMax: 150,
} as const

const busy = 64
const moderate = 16
const alone = 1

export const targets = (summaries: ReadonlyArray<Summary>): ReadonlyArray<Target> => {
  const list: Array<Target> = []
  const find = (workload: WorkloadName, connections: number, server: ServerName) =>
    summaries.find((s) => s.workload === workload && s.connections === connections && s.server === server)
  const ratioTarget = (workload: WorkloadName, connections: number, min: number) => {
    const s = find(workload, connections, "tally")
    if (s?.vsBaseline)
      list.push({
        target: `${workload}, ${connections} connections: Tally req/s >= ${min}x the origin-style server`,
        measured: `${Math.round(s.requestsPerSecond)} vs ${Math.round(s.requestsPerSecond / s.vsBaseline.requestsPerSecond)} req/s (${s.vsBaseline.requestsPerSecond.toFixed(2)}x)`,
        met: s.vsBaseline.requestsPerSecond >= min,
      })
  }
  const latencyTarget = (
    workload: WorkloadName,
    connections: number,
    key: "latencyP50" | "latencyP99",
    max: number,
  ) => {
    const s = find(workload, connections, "tally")
    if (!s?.vsBaseline) return
    const ms = key === "latencyP50" ? s.latencyP50Ms : s.latencyP99Ms
    list.push({
      target: `${workload}, ${connections} connection${connections === 1 ? "" : "s"}: Tally ${key === "latencyP50" ? "p50" : "p99"} <= ${max}x the origin-style server's`,
      measured: `${ms.toFixed(3)} vs ${(ms / s.vsBaseline[key]).toFixed(3)} ms (${s.vsBaseline[key].toFixed(2)}x)`,
      met: s.vsBaseline[key] <= max,
    })
  }
  ratioTarget("hot-account", busy, Bounds.hotAccountBusyRatioMin)
  ratioTarget("10k-accounts", busy, Bounds.manyAccountsBusyRatioMin)
  for (const workload of ["hot-account", "10k-accounts"] as const)
    ratioTarget(workload, moderate, Bounds.moderateRatioMin)
  for (const workload of ["hot-account", "10k-accounts"] as const)
    latencyTarget(workload, alone, "latencyP50", Bounds.aloneP50RatioMax)
  for (const connections of [moderate, busy])
    for (const workload of ["hot-account", "10k-accounts"] as const)
      latencyTarget(workload, connections, "latencyP99", Bounds.loadedP99RatioMax)

  for (const memory of summaries.filter((s) => s.server === "tally-memory")) {
    const bare = memory.vsBaseline === null ? null : find(memory.workload, memory.connections, "bare-node")
    list.push({
      target: `${memory.workload}, ${memory.connections} connections: CPU per request of the service on memory <= ${Bounds.memoryCpuUsPerRequestMax} µs`,
      measured:
        `${memory.serverCpuUsPerRequest.toFixed(0)} µs at ${Math.round(memory.requestsPerSecond)} req/s` +
        (bare
          ? `; bare node:http ${bare.serverCpuUsPerRequest.toFixed(0)} µs at ${Math.round(bare.requestsPerSecond)} req/s`
          : ""),
      met: memory.serverCpuUsPerRequest <= Bounds.memoryCpuUsPerRequestMax,
    })
  }
  const busiest = summaries.filter((s) => s.server === "tally" && s.connections === busy)
  if (busiest.length > 0) {
    const origin = summaries.filter((s) => s.server === "origin" && s.connections === busy)
    const rssMax = Math.max(...busiest.map((s) => s.serverRssMbMax))
    list.push({
      target: `Tally's RSS during the ${busy}-connection runs <= ${Bounds.busyRssMbMax} MB`,
      measured:
        busiest.map((s) => `${s.workload} ${s.serverRssMbMax.toFixed(0)} MB`).join(", ") +
        (origin.length > 0
          ? ` (origin-style: ${origin.map((s) => `${s.serverRssMbMax.toFixed(0)} MB`).join(", ")})`
          : ""),
      met: rssMax <= Bounds.busyRssMbMax,
    })
  }
  const tally = summaries.filter((s) => s.server === "tally" || s.server === "tally-memory")
  if (tally.length > 0) {
    const runs = tally.reduce((sum, s) => sum + s.runs, 0)
    const violations = tally.reduce((sum, s) => sum + (s.auditViolations ?? 0), 0)
    const lost = tally.reduce((sum, s) => sum + (s.lostCredits ?? 0), 0)
    list.push({
      target: "zero audit violations and zero lost credits in every Tally run",
      measured: `${violations} violations, ${lost} lost credits in ${runs} runs`,
      met: violations === 0 && lost === 0,
    })
  }
  const failing = summaries.filter((s) => s.errors > 0)
  list.push({
    target: "no failed requests (statuses other than 200 and rule rejections, connection errors)",
    measured:
      failing.length === 0
        ? "none"
        : failing.map((s) => `${s.workload}/${s.connections}/${s.server}: ${s.errors}`).join(", "),
    met: failing.length === 0,
  })
  return list
}

/** Other processes' CPU above this during a cell makes its figures suspect. */
const otherCoresMax = 0.25

export const disturbance = (records: ReadonlyArray<HttpRecord>): string | undefined => {
  const disturbed = records.filter((r) => r.otherCores > otherCoresMax)
  return disturbed.length === 0
    ? undefined
    : `WARNING: other processes used more than ${otherCoresMax} cores during ${disturbed.length} of ${records.length} runs ` +
        `(up to ${Math.max(...disturbed.map((r) => r.otherCores)).toFixed(2)}); the figures are noisy, re-run on a quiet machine`
}
