import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as FaultProxy from "../support/FaultProxy.ts"
import { createDatabase } from "../support/TestDatabase.ts"
import { accountId, request, type Service, startService } from "./TallyProcess.ts"

/**
 * The service over a PostgreSQL whose connections fail on purpose (`DATABASE_URL` points at a
 * fault-injecting proxy): a lost COMMIT answer is still answered once and truthfully, bad data
 * fails alone, an outage answers 503 with Retry-After, and nothing answers 500.
 */

let proxy: FaultProxy.FaultProxy
let service: Service

/** The store retries a lost database this long... */
const retryBudgetMs = 1_000
/** ...so an outage this long reaches the caller. */
const outageMs = 3_000

beforeAll(async () => {
  const url = new URL(await createDatabase())
  proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
  url.port = String(proxy.port)
  service = await startService({ DATABASE_URL: url.toString(), TALLY_DB_RETRY_MS: String(retryBudgetMs) })
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
  await proxy?.close()
})

const write = (kind: "top-ups" | "spends", account: string, body: unknown, key?: string) =>
  request(`${service.url}/v1/accounts/${account}/${kind}`, {
    body,
    headers: key === undefined ? {} : { "idempotency-key": key },
  })
const entriesOf = async (account: string) =>
  (await request(`${service.url}/v1/accounts/${account}/entries?limit=500`)).body.entries
const waitOut = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("the service when the database connection fails", () => {
  it("answers a keyed write whose COMMIT landed unheard once, as written, not as a replay", async () => {
    const account = accountId("commit-cut")
    const cuts = proxy.cuts()
    proxy.arm({ deliver: true, match: FaultProxy.isCommitting })
    const reply = await write("top-ups", account, { amount: 300, ceiling: 1000 }, "order-1")
    expect(proxy.cuts()).toBe(cuts + 1)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.headers.get("idempotent-replayed")).toBeNull()
    expect(await entriesOf(account)).toEqual([reply.body.entry])
  })

  it("answers an unkeyed write whose statement landed unheard once", async () => {
    const account = accountId("solo-cut")
    await write("top-ups", account, { amount: 1000 })
    proxy.arm({ deliver: true, match: (sql) => sql.includes("WITH account AS") })
    const reply = await write("spends", account, { amount: 250 })
    expect(reply.status, reply.text).toBe(200)
    expect((await entriesOf(account)).map((e: { sequence: number }) => e.sequence)).toEqual([2, 1])
  })

  it("refuses metadata PostgreSQL cannot store with 400, alone: its neighbours are written", async () => {
    const deep = `${'{"a":'.repeat(10_000)}{}${"}".repeat(10_000)}`
    const bad = [JSON.stringify({ note: "nul \u0000" }), JSON.stringify({ note: "\ud800" }), deep]
    const accounts = Array.from({ length: 30 }, (_, i) => accountId(`mate-${i}`))
    const replies = await Promise.all(
      accounts.map((account, i) =>
        request(`${service.url}/v1/accounts/${account}/top-ups`, {
          raw: i % 10 === 3 ? `{"amount": 10, "metadata": ${bad[i % 3]}}` : `{"amount": 10}`,
        }),
      ),
    )
    replies.forEach((reply, i) => {
      expect(reply.status, reply.text).toBe(i % 10 === 3 ? 400 : 200)
      if (i % 10 === 3) expect(reply.body).toMatchObject({ _tag: "InvalidRequest" })
      if (i % 10 === 3) expect(reply.body.message).toContain("metadata")
    })
  })

  it("answers 503 LedgerUnavailable with Retry-After while the database is away, and recovers by itself", async () => {
    const account = accountId("outage")
    proxy.cutAll()
    proxy.refuseFor(outageMs)
    // A write is one statement: one sent on a connection whose close the service has not yet seen may
    // have reached the database, and is OutcomeUnknown until looked up (the last test). Here the
    // outage is under way: the service has seen its connections go, and every new one is refused.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const reply = await write("top-ups", account, { amount: 5 }, "during-outage")
    expect(reply.status, reply.text).toBe(503)
    expect(reply.body._tag).toBe("LedgerUnavailable")
    expect(reply.headers.get("retry-after")).toBe("1")
    await waitOut(outageMs)
    const retry = await write("top-ups", account, { amount: 5 }, "during-outage")
    expect(retry.status, retry.text).toBe(200)
    expect(retry.headers.get("idempotent-replayed")).toBeNull()
    expect((await request(`${service.url}/health`)).status).toBe(200)
  })

  it("answers 503 OutcomeUnknown when a COMMIT went unheard and the database stays away; the key then tells", async () => {
    const account = accountId("unknown")
    await write("top-ups", account, { amount: 1000 })
    const goAway = () => {
      proxy.cutAll()
      proxy.refuseFor(outageMs)
    }
    // The spend, on an account this process just wrote, is one compare-and-swap statement: armed on it, not on
    // any COMMIT, which a background transaction (the webhook poll, a sweep) could send first and so start the
    // outage before the spend is sent (it then answered LedgerUnavailable, rightly: nothing was written).
    proxy.arm({ deliver: true, match: FaultProxy.isCompareAndSwap, afterwards: goAway })
    const reply = await write("spends", account, { amount: 400 }, "job-9")
    expect(reply.status, reply.text).toBe(503)
    expect(reply.body).toMatchObject({ _tag: "OutcomeUnknown", accountId: account, idempotencyKey: "job-9" })
    expect(reply.headers.get("retry-after")).toBe("1")
    await waitOut(outageMs)
    const retry = await write("spends", account, { amount: 400 }, "job-9")
    expect(retry.status, retry.text).toBe(200)
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect(retry.body.balance).toBe(600)
  })
})
