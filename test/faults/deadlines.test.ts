import * as Fs from "node:fs"
import * as Path from "node:path"
import { EmbeddedPostgres } from "@tally/adapters"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Service, startService } from "../e2e/TallyProcess.ts"
import {
  answeredLate,
  caughtBy,
  type FaultWindow,
  faultFigures,
  seconds,
  withHarnessMargin,
} from "../ha/FaultWindow.ts"
import { watchHealth } from "../ha/HealthWatch.ts"
import { figures, readLedger, reconcile } from "../ha/Reconcile.ts"
import { startLoad } from "../ha/WriteLoad.ts"
import * as FaultProxy from "../support/FaultProxy.ts"
import { signalServer } from "../support/Postmaster.ts"

/**
 * Faults that close nothing, under 32 clients writing keyed top-ups and spends over HTTP to a
 * `tally serve` process and retrying with the same key until answered for good: a partition of the
 * proxy between Tally and PostgreSQL (both directions, the answers only, the answers after their first
 * byte), every PostgreSQL
 * process stopped (SIGSTOP), and connections caught by a partition that never heals while new ones
 * pass. During each, every request is answered within the deadline the README names for a request
 * (its outcome or a 503), counted from when the client sent it, not when the fault ends; writes
 * resume after it; and the whole ledger, read back, agrees with every answer any client got
 * (`Reconcile`: every acknowledged write once, nothing said unwritten that was written, unknown
 * outcomes resolved by their keys, no 500, the audit clean).
 */

const retryBudgetMs = 2_000
const statementTimeoutMs = 2_000
/**
 * What the README promises each request, from its arrival to its answer, whatever stages it passes:
 * `TALLY_DB_RETRY_MS` + 2 x `TALLY_DB_STATEMENT_TIMEOUT_MS` + 0.5 s.
 */
const deadlineMs = retryBudgetMs + 2 * statementTimeoutMs + 500
const clients = 32
const accountsPerScenario = 16
/** Writes answered before a fault, and after it ends, to show that writing resumed. */
const writesAround = 300
const runId = Date.now().toString(36)

const dataDir = Path.resolve(`.tally-test/deadlines-${process.pid}`)
let serverScope: Scope.Closeable
let proxy: FaultProxy.FaultProxy
let service: Service

beforeAll(async () => {
  serverScope = await Effect.runPromise(Scope.make())
  const server = await Effect.runPromise(
    EmbeddedPostgres.start({ dataDir, settings: { fsync: "off", full_page_writes: "off" } }).pipe(
      Scope.provide(serverScope),
    ),
  )
  const url = new URL(Redacted.value(server.url))
  proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
  url.port = String(proxy.port)
  service = await startService({
    DATABASE_URL: url.toString(),
    TALLY_DB_RETRY_MS: String(retryBudgetMs),
    TALLY_DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
    TALLY_LOG_LEVEL: "Warn",
  })
}, 120_000)

afterAll(async () => {
  const code = await service?.stop("SIGTERM")
  await proxy?.close()
  if (serverScope !== undefined) await Effect.runPromise(Scope.close(serverScope, Exit.void))
  Fs.rmSync(dataDir, { recursive: true, force: true })
  expect(code).toBe(0)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const signalPostgres = (signal: NodeJS.Signals) => signalServer(dataDir, signal)

/**
 * Writes under load, `fault` in the middle (it resolves with the window it held), writes resumed
 * after it, then the history reconciled with the ledger. Resolves with the figures of the fault.
 */
const underLoad = async (label: string, fault: () => Promise<FaultWindow>) => {
  const accounts = Array.from({ length: accountsPerScenario }, (_, i) => `${label}-${runId}-${i}`)
  const load = startLoad({ urls: [service.url], accounts, clients, idPrefix: `${label}-${runId}` })
  const health = watchHealth([service.url])
  await load.progress(writesAround)
  const { value: window, marginMs } = await withHarnessMargin(fault)
  await load.progress(writesAround)
  const changes = await health.stop()
  const history = await load.stop()
  const ledger = await readLedger(service.url, accounts)
  const findings = reconcile(history, ledger)
  const caught = caughtBy(history, window)
  const report = {
    ...faultFigures(history, window, changes),
    deadline: `${seconds(deadlineMs)} + harness margin ${Math.round(marginMs)} ms`,
    load: figures(history),
  }
  console.log(`${label}: ${JSON.stringify(report, null, 1)}`)
  expect(findings).toEqual([])
  // The fault was felt: requests were caught; one that held past the deadline left some no answer but a 503
  // (one that ends sooner, as stranded connections dropped in time, may let every caught request succeed).
  expect(caught.length).toBeGreaterThan(0)
  if (window.endMs - window.startMs > deadlineMs) {
    expect(caught.filter((a) => a.status === 503).length).toBeGreaterThan(0)
  }
  expect(answeredLate(caught, window, deadlineMs, marginMs)).toEqual([])
  expect(changes[changes.length - 1]?.status).toBe(200)
  return { report, changes, window }
}

const holdFault = async (ms: number, begin: () => void, end: () => void): Promise<FaultWindow> => {
  begin()
  const startMs = Date.now()
  await sleep(ms)
  const endMs = Date.now()
  end()
  return { startMs, endMs }
}

/** The proxy partitioned `blocked` for `ms`, then healed. */
const partitionFor = (ms: number, blocked: FaultProxy.Blocked) =>
  holdFault(
    ms,
    () => proxy.blackhole(blocked),
    () => proxy.heal(),
  )

describe("every caller answered in time when the database stops answering without closing anything", () => {
  it("a partition in both directions for 30 s, then healed", async () => {
    await underLoad("partition", () => partitionFor(30_000, "both"))
  })

  it("a partition of the answers only for 15 s, then healed", async () => {
    await underLoad("one-way", () => partitionFor(15_000, "answers"))
  })

  it("answers stopped after their first byte for 15 s (a server that stops mid-answer), then healed", async () => {
    await underLoad("mid-answer", () => partitionFor(15_000, "answers-after-a-byte"))
  })

  it("every PostgreSQL process stopped (SIGSTOP) for 20 s, then continued", async () => {
    await underLoad("sigstop", () =>
      holdFault(
        20_000,
        () => signalPostgres("SIGSTOP"),
        () => signalPostgres("SIGCONT"),
      ),
    )
  })

  it("every PostgreSQL process stopped for 20 s while readers outnumber the pool's connections: none waits for one past its deadline", async () => {
    // Each read is a stage of its own, so 48 of them queue for the pool's 10 connections, each held for a
    // stage by the stopped server: a reader must give up its wait in time, not run a stage after it.
    const readers = 48
    const answers: Array<{ readonly sentMs: number; readonly answeredMs: number; readonly status: number }> = []
    let reading = true
    const accountId = `readers-${runId}`
    const reader = async () => {
      while (reading) {
        const sentMs = Date.now()
        const response = await fetch(`${service.url}/v1/accounts/${accountId}/entries?limit=5`)
        await response.arrayBuffer()
        answers.push({ sentMs, answeredMs: Date.now(), status: response.status })
      }
    }
    const readersDone = Promise.all(Array.from({ length: readers }, reader))
    const { window } = await underLoad("sigstop-readers", () =>
      holdFault(
        20_000,
        () => signalPostgres("SIGSTOP"),
        () => signalPostgres("SIGCONT"),
      ),
    )
    reading = false
    await readersDone
    const caughtReads = answers.filter((a) => a.sentMs < window.endMs && a.answeredMs > window.startMs)
    const slowest = Math.max(...caughtReads.map((a) => a.answeredMs - a.sentMs))
    console.log(`sigstop-readers: ${caughtReads.length} reads caught, the slowest answered in ${seconds(slowest)}`)
    expect(caughtReads.filter((a) => a.status === 503).length).toBeGreaterThan(0)
    expect(caughtReads.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([])
    // The readers share the harness's event loop with the writers: the same margin as theirs.
    expect(caughtReads.filter((a) => a.answeredMs - a.sentMs > deadlineMs + 500)).toEqual([])
  })

  it("connections caught by a partition that never heals: answered in time, dropped, writes flowing on new ones", async () => {
    let caughtConnections = 0
    const { changes, window } = await underLoad("stranded", async () => {
      proxy.strand()
      const startMs = Date.now()
      caughtConnections = proxy.stranded().caught
      // The fault never ends for those connections; the window closes once every one is dropped.
      while (proxy.stranded().dropped < caughtConnections) await sleep(100)
      return { startMs, endMs: Date.now() }
    })
    console.log(
      `stranded: ${caughtConnections} connections caught, all dropped after ${seconds(window.endMs - window.startMs)}`,
    )
    expect(caughtConnections).toBeGreaterThan(0)
    expect(proxy.stranded().dropped).toBe(proxy.stranded().caught)
    // /health answered 200 once writes flowed again.
    expect(changes[changes.length - 1]?.status).toBe(200)
  })
})
