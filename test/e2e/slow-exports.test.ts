import * as Fs from "node:fs"
import * as Http from "node:http"
import { afterAll, beforeAll, expect, it } from "vitest"
import { freshDataDir, request, type Service, startService } from "./TallyProcess.ts"

/**
 * Exports whose readers stop reading, on `tally serve` with a pool of two PostgreSQL connections: the
 * ledger must go on answering, since an export holds no connection while its reader is slow. The
 * entries are large enough (4 KB of metadata each, 12 MB in all) that an export cannot end inside the
 * sockets' buffers.
 */

const poolConnections = 2
const stalledExports = poolConnections + 2
const entries = 3_000
const metadata = { note: "x".repeat(3_900) }

let service: Service
let dataDir: string

beforeAll(async () => {
  dataDir = freshDataDir("e2e-slow-exports")
  service = await startService({ TALLY_DATA_DIR: dataDir, TALLY_DB_POOL_SIZE: String(poolConnections) })
  for (let i = 0; i < entries; i += 50) {
    const sent = Array.from({ length: Math.min(50, entries - i) }, (_, j) =>
      request(`${service.url}/v1/accounts/exported-${(i + j) % 10}/top-ups`, { body: { amount: 1, metadata } }),
    )
    for (const reply of await Promise.all(sent)) expect(reply.status, reply.text).toBe(200)
  }
}, 120_000)

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

/** An export whose reader takes its first bytes and then reads no more. */
const stalledExport = () =>
  new Promise<Http.ClientRequest>((resolve, reject) => {
    const exporting = Http.get(`${service.url}/v1/entries/export?format=ndjson`, (response) => {
      response.once("data", () => {
        response.pause()
        resolve(exporting)
      })
    })
    exporting.once("error", reject)
  })

it("answers balances and writes while exports wait for their readers", async () => {
  const stalled = await Promise.all(Array.from({ length: stalledExports }, stalledExport))
  try {
    const balance = await request(`${service.url}/v1/accounts/exported-1/balance`)
    expect(balance.status, balance.text).toBe(200)
    expect(balance.body).toMatchObject({ balance: entries / 10 })
    const topUp = await request(`${service.url}/v1/accounts/exported-1/top-ups`, {
      body: { amount: 5 },
      headers: { "Idempotency-Key": "while-exports-wait" },
    })
    expect(topUp.status, topUp.text).toBe(200)
    expect(topUp.body).toMatchObject({ balance: entries / 10 + 5 })
  } finally {
    for (const exporting of stalled) exporting.destroy()
  }
}, 60_000)
