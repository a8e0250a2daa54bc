import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createServer, type Server } from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { baseEnv, freshDataDir, repoRoot, request, type Service, serviceOf } from "../e2e/TallyProcess.ts"

/**
 * `tally serve` on its embedded PostgreSQL for TALLY_LONG_RUN_MINUTES (default 10) under 64 clients
 * of mixed operations (top-ups, spends, holds and their captures, refunds, completions of auto
 * top-up requests that spends open, reads), with a webhook endpoint receiving every event. The
 * process reports what it holds every 10 s (`ResourceProbe`): after the first minute (warm-up), its
 * resident memory stays within 10%, and its open files, sockets and timers do not grow. The audit
 * is clean at the end. Latency percentiles per minute are reported, not asserted.
 */

const minutes = Number(process.env.TALLY_LONG_RUN_MINUTES ?? 10)
const clients = 64
const accountCount = 200
const autoTopUpAccounts = 40
const probeMs = 10_000

const dataDir = freshDataDir("long-run")
const probeFile = Path.join(Os.tmpdir(), `tally-long-run-${process.pid}.jsonl`)
let service: Service
let receiver: Server
let delivered = 0

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      delivered++
      res.end("ok")
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      "./test/support/ResourceProbe.ts",
      "packages/app/src/main.ts",
      "serve",
      "--port",
      "0",
    ],
    {
      cwd: repoRoot,
      env: baseEnv({
        TALLY_DATA_DIR: dataDir,
        TALLY_LOG_LEVEL: "Warn",
        TALLY_TEST_PROBE_FILE: probeFile,
        TALLY_TEST_PROBE_MS: String(probeMs),
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  )
  service = await serviceOf(child)
}, 120_000)

afterAll(async () => {
  const code = await service?.stop("SIGTERM")
  await new Promise((resolve) => receiver?.close(resolve))
  Fs.rmSync(dataDir, { recursive: true, force: true })
  Fs.rmSync(probeFile, { force: true })
  expect(code).toBe(0)
})

interface Sample {
  readonly atMs: number
  readonly rss: number
  readonly heapUsed: number
  readonly fds: number
  readonly resources: Readonly<Record<string, number>>
}

const pick = <A>(list: ReadonlyArray<A>) => list[Math.floor(Math.random() * list.length)]!
const megabytes = (bytes: number) => Math.round(bytes / 2 ** 20)
const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

describe("a long run under mixed load with webhooks delivering", () => {
  it(`holds its memory, files, sockets and timers flat for ${minutes} minutes at ${clients} clients`, async () => {
    const url = (path: string) => `${service.url}${path}`
    const accounts = Array.from({ length: accountCount }, (_, i) => `long-${i}`)
    const endpoint = await request(url("/v1/webhooks"), {
      body: { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook` },
    })
    expect(endpoint.status, endpoint.text).toBe(200)
    for (const [index, accountId] of accounts.entries()) {
      expect((await request(url(`/v1/accounts/${accountId}/top-ups`), { body: { amount: 5_000 } })).status).toBe(200)
      if (index < autoTopUpAccounts) {
        const configured = await request(url(`/v1/accounts/${accountId}/auto-top-up`), {
          method: "PUT",
          body: { threshold: 4_000, amount: 2_000, ceiling: 20_000 },
        })
        expect(configured.status, configured.text).toBe(200)
      }
    }

    const startedAtMs = Date.now()
    const endsAtMs = startedAtMs + minutes * 60_000
    /** Latencies in milliseconds, per minute of the run. */
    const latencies: Array<Array<number>> = Array.from({ length: minutes }, () => [])
    const statuses: Record<string, number> = {}
    const openHolds = new Map<string, Array<number>>()
    const topUps = new Map<string, Array<number>>()
    let sequence = 0

    const timed = async (label: string, path: string, init: Parameters<typeof request>[1] = {}) => {
      const sentAtMs = Date.now()
      const reply = await request(url(path), init)
      const minute = Math.floor((sentAtMs - startedAtMs) / 60_000)
      latencies[Math.min(minute, minutes - 1)]!.push(Date.now() - sentAtMs)
      const key = `${label} ${reply.status}${reply.status === 200 ? "" : ` ${reply.body?._tag ?? ""}`}`
      statuses[key] = (statuses[key] ?? 0) + 1
      return reply
    }
    const keyed = (body: unknown) => ({ body, headers: { "idempotency-key": `long-${sequence++}` } })

    const operation = async () => {
      const accountId = pick(accounts)
      const roll = Math.random()
      if (roll < 0.25) {
        const reply = await timed(
          "top-up",
          `/v1/accounts/${accountId}/top-ups`,
          keyed({ amount: 1 + Math.floor(Math.random() * 100), ceiling: 20_000 }),
        )
        if (reply.status === 200 && reply.body.entry.amount > 0) {
          const list = topUps.get(accountId) ?? []
          list.push(reply.body.entry.sequence)
          topUps.set(accountId, list.slice(-20))
        }
      } else if (roll < 0.5) {
        await timed(
          "spend",
          `/v1/accounts/${accountId}/spends`,
          keyed({ amount: 1 + Math.floor(Math.random() * 300), mode: "available" }),
        )
      } else if (roll < 0.62) {
        const reply = await timed(
          "hold",
          `/v1/accounts/${accountId}/holds`,
          keyed({ amount: 1 + Math.floor(Math.random() * 100), expiresInSeconds: 60 }),
        )
        if (reply.status === 200)
          openHolds.set(accountId, [...(openHolds.get(accountId) ?? []), reply.body.hold.holdId])
      } else if (roll < 0.72) {
        const holds = openHolds.get(accountId) ?? []
        const holdId = holds.shift()
        if (holdId === undefined) return
        await timed(
          "capture",
          `/v1/accounts/${accountId}/holds/${holdId}/captures`,
          keyed({ amount: 1 + Math.floor(Math.random() * 100) }),
        )
      } else if (roll < 0.77) {
        const entries = topUps.get(accountId) ?? []
        const entry = entries.shift()
        if (entry === undefined) return
        await timed("refund", `/v1/accounts/${accountId}/entries/${entry}/refunds`, keyed({ amount: 1 }))
      } else if (roll < 0.85) {
        const autoAccount = accounts[Math.floor(Math.random() * autoTopUpAccounts)]!
        const config = await timed("auto-top-up read", `/v1/accounts/${autoAccount}/auto-top-up`)
        const requestId = config.body?.openRequestId
        if (typeof requestId !== "number") return
        await timed("auto-top-up complete", `/v1/accounts/${autoAccount}/auto-top-up/requests/${requestId}/complete`, {
          body: { paymentReference: `pay-${autoAccount}-${requestId}` },
        })
      } else if (roll < 0.95) {
        await timed("balance", `/v1/accounts/${accountId}/balance`)
      } else {
        await timed("entries", `/v1/accounts/${accountId}/entries?limit=50`)
      }
    }

    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < endsAtMs) await operation()
      }),
    )

    const audit = await request(url("/v1/audit"))
    const samples: Array<Sample> = Fs.readFileSync(probeFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((sample: Sample) => sample.atMs >= startedAtMs)
    const inMinute = (m: number) =>
      samples.filter((s) => s.atMs >= startedAtMs + (m - 1) * 60_000 && s.atMs < startedAtMs + m * 60_000)
    const max = (list: ReadonlyArray<Sample>, of: (s: Sample) => number) => Math.max(...list.map(of))
    const mean = (list: ReadonlyArray<Sample>, of: (s: Sample) => number) =>
      list.reduce((sum, s) => sum + of(s), 0) / list.length
    const timers = (s: Sample) => s.resources.Timeout ?? 0
    const sockets = (s: Sample) => s.resources.TCPSocketWrap ?? 0
    const first = inMinute(1)
    const settled = inMinute(2)
    const last = inMinute(minutes)

    const report = {
      minutes,
      operations: latencies.reduce((sum, list) => sum + list.length, 0),
      answers: statuses,
      webhookDeliveries: delivered,
      rssMbAtMinute1: megabytes(first[first.length - 1]!.rss),
      rssMbAtMinuteLast: megabytes(last[last.length - 1]!.rss),
      rssMbMax: megabytes(max(samples, (s) => s.rss)),
      heapMbAtMinute1: megabytes(first[first.length - 1]!.heapUsed),
      heapMbAtMinuteLast: megabytes(last[last.length - 1]!.heapUsed),
      fds: { minute2: max(settled, (s) => s.fds), last: max(last, (s) => s.fds) },
      sockets: { minute2: max(settled, sockets), last: max(last, sockets) },
      timers: { minute2: max(settled, timers), last: max(last, timers) },
      p99MsPerMinute: latencies.map((list) =>
        percentile(
          [...list].sort((a, b) => a - b),
          0.99,
        ),
      ),
      p50MsPerMinute: latencies.map((list) =>
        percentile(
          [...list].sort((a, b) => a - b),
          0.5,
        ),
      ),
    }
    console.log(`long run: ${JSON.stringify(report, null, 1)}`)

    expect(audit.body.violations).toEqual([])
    expect(Object.keys(statuses).filter((key) => / 5\d\d/.test(key))).toEqual([])
    expect(delivered).toBeGreaterThan(0)
    // After the warm-up minute, resident memory stays within 10% of where it settled.
    expect(mean(last, (s) => s.rss)).toBeLessThanOrEqual(1.1 * mean(settled, (s) => s.rss))
    // Nothing accumulates: open files, sockets (HTTP and PostgreSQL) and timers, beyond the churn of a busy minute.
    expect(report.fds.last).toBeLessThanOrEqual(report.fds.minute2 + 8)
    expect(report.sockets.last).toBeLessThanOrEqual(report.sockets.minute2 + 8)
    expect(report.timers.last).toBeLessThanOrEqual(report.timers.minute2 + 8)
  })
})
