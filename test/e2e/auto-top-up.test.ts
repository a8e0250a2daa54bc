import * as Fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readUntil } from "../support/ReadUntil.ts"
import { accountId, freshDataDir, type Reply, request, type Service, startService } from "./TallyProcess.ts"

/**
 * Auto top-up and periodic refills as an app meets them: `tally serve` on a fresh embedded
 * PostgreSQL, spoken to over HTTP only, with the origin's settings (`auto_top_up`: threshold 100,
 * amount 500).
 */

let service: Service
let dataDir: string

beforeAll(async () => {
  dataDir = freshDataDir("e2e-auto-top-up")
  service = await startService({ TALLY_DATA_DIR: dataDir })
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

const url = (path: string) => `${service.url}${path}`
const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  request(url(path), { method: "POST", ...(body === undefined ? {} : { body }), headers })
const put = (path: string, body: unknown) => request(url(path), { method: "PUT", body })
const get = (path: string) => request(url(path))

const expectError = (reply: Reply, status: number, tag: string) => {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.body).toMatchObject({ _tag: tag, message: expect.any(String) })
}

/** The feed's events of one account after `after`, once `count` of them are there. */
const eventsOf = async (account: string, after: number, count: number) => {
  const deadline = Date.now() + 60_000
  const mine: Array<{ type: string; data: Record<string, unknown> }> = []
  let next = after
  while (mine.length < count && Date.now() < deadline) {
    const page = (await get(`/v1/events?after=${next}&limit=500&wait=1`)).body
    mine.push(...page.events.filter((e: { accountId: string }) => e.accountId === account))
    next = page.next
  }
  return mine
}

const feedEnd = async () => {
  let next = 0
  while (true) {
    const page = (await get(`/v1/events?after=${next}&limit=500`)).body
    if (page.events.length === 0) return next
    next = page.next
  }
}

describe("auto top-up over HTTP", () => {
  it("the origin's flow: settings, a spend below the threshold, a request, its completion by payment reference", async () => {
    const account = accountId("origin")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 50, kind: "grant" })
    const set = await put(`/v1/accounts/${account}/auto-top-up`, { threshold: 100, amount: 500 })
    expect(set.status, set.text).toBe(200)
    expect(set.body).toEqual({
      accountId: account,
      enabled: true,
      threshold: 100,
      amount: 500,
      ceiling: null,
      consecutiveFailures: 0,
      openRequestId: null,
    })
    expect((await get(`/v1/accounts/${account}/balance`)).body.balance).toBe(50)

    const start = await feedEnd()
    expect((await post(`/v1/accounts/${account}/spends`, { amount: 10 })).body.balance).toBe(40)
    expect((await get(`/v1/accounts/${account}/auto-top-up`)).body).toMatchObject({ openRequestId: 1 })
    const open = await get(`/v1/accounts/${account}/auto-top-up/requests/1`)
    expect(open.body).toMatchObject({ requestId: 1, status: "open", amount: 500, availableAtOpen: 40 })

    const completed = await post(`/v1/accounts/${account}/auto-top-up/requests/1/complete`, {
      paymentReference: "pi_3Nq",
    })
    expect(completed.status, completed.text).toBe(200)
    expect(completed.headers.get("idempotent-replayed")).toBeNull()
    expect(completed.body).toMatchObject({
      request: { status: "completed", paymentReference: "pi_3Nq", entrySequence: 3 },
      entry: { kind: "top-up", amount: 500, balanceAfter: 540, idempotencyKey: "pi_3Nq", reference: "auto-top-up:1" },
    })
    const again = await post(`/v1/accounts/${account}/auto-top-up/requests/1/complete`, { paymentReference: "pi_3Nq" })
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    expect(again.body).toEqual(completed.body)
    expectError(
      await post(`/v1/accounts/${account}/auto-top-up/requests/1/complete`, { paymentReference: "pi_other" }),
      409,
      "AutoTopUpRequestNotOpen",
    )
    const { entries } = (await get(`/v1/accounts/${account}/entries`)).body
    expect(entries.map((e: { kind: string }) => e.kind)).toEqual(["top-up", "usage", "grant"])
    const events = await eventsOf(account, start, 2)
    expect(events.map((e) => e.type)).toEqual(["auto_top_up.requested", "auto_top_up.completed"])
  })

  it("three failed payments in a row switch auto top-up off, with auto_top_up.disabled", async () => {
    const account = accountId("declined")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 150 })
    await put(`/v1/accounts/${account}/auto-top-up`, { threshold: 100, amount: 500, ceiling: 1000 })
    const start = await feedEnd()
    for (const requestId of [1, 2, 3]) {
      await post(`/v1/accounts/${account}/spends`, { amount: requestId === 1 ? 60 : 1 })
      const failed = await post(
        `/v1/accounts/${account}/auto-top-up/requests/${requestId}/fail`,
        { reason: "card_declined" },
        { "Idempotency-Key": `fail-${requestId}` },
      )
      expect(failed.status, failed.text).toBe(200)
      expect(failed.body).toMatchObject({ request: { status: "failed", failureReason: "card_declined" }, entry: null })
    }
    const retried = await post(
      `/v1/accounts/${account}/auto-top-up/requests/3/fail`,
      { reason: "card_declined" },
      { "Idempotency-Key": "fail-3" },
    )
    expect(retried.headers.get("idempotent-replayed")).toBe("true")
    expect((await get(`/v1/accounts/${account}/auto-top-up`)).body).toMatchObject({
      enabled: false,
      consecutiveFailures: 3,
      openRequestId: null,
    })
    const events = await eventsOf(account, start, 8)
    expect(events.map((e) => e.type)).toEqual([
      "balance.low",
      "auto_top_up.requested",
      "auto_top_up.failed",
      "auto_top_up.requested",
      "auto_top_up.failed",
      "auto_top_up.requested",
      "auto_top_up.failed",
      "auto_top_up.disabled",
    ])
  })

  it("refuses inconsistent settings and unknown requests with typed errors", async () => {
    const account = accountId("bad")
    expectError(
      await put(`/v1/accounts/${account}/auto-top-up`, { threshold: 500, amount: 100, ceiling: 400 }),
      400,
      "AutoTopUpCeilingBelowThreshold",
    )
    expectError(await put(`/v1/accounts/${account}/auto-top-up`, { threshold: 100 }), 400, "InvalidRequest")
    expectError(
      await put(`/v1/accounts/${account}/auto-top-up`, { threshold: 100, amount: 500, treshold: 1 }),
      400,
      "InvalidRequest",
    )
    expectError(await get(`/v1/accounts/${account}/auto-top-up/requests/7`), 404, "AutoTopUpRequestNotFound")
    expectError(
      await post(`/v1/accounts/${account}/auto-top-up/requests/7/complete`, { paymentReference: "pi_1" }),
      404,
      "AutoTopUpRequestNotFound",
    )
    expectError(
      await post(`/v1/accounts/${account}/auto-top-up/requests/7/fail`, { reason: "" }),
      400,
      "InvalidRequest",
    )
    expect((await post("/v1/auto-top-ups/expire")).body).toEqual({ expired: 0 })
  })
})

describe("periodic refills over HTTP", () => {
  it("the service grants a configured refill on its own schedule, once", async () => {
    const account = accountId("refill")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 200 })
    const set = await put(`/v1/accounts/${account}/refill`, {
      amount: 1000,
      ceiling: 1000,
      schedule: { period: "monthly", dayOfMonth: 1 },
    })
    expect(set.status, set.text).toBe(200)
    expect(set.body).toMatchObject({ accountId: account, enabled: true, amount: 1000, ceiling: 1000 })
    await readUntil(
      async () => (await get(`/v1/accounts/${account}/balance`)).body.balance,
      (balance) => balance === 1000,
    )
    expect((await post("/v1/refills/run")).status).toBe(200)
    const { entries } = (await get(`/v1/accounts/${account}/entries?kind=grant`)).body
    expect(entries).toMatchObject([{ kind: "grant", decision: "Clamped", amount: 800, balanceAfter: 1000 }])
    expect(entries[0].reference).toMatch(/^refill:\d{4}-\d{2}-01$/)
    const status = (await get(`/v1/accounts/${account}/refill`)).body
    expect(Date.parse(status.nextRefillAt)).toBeGreaterThan(Date.now())
    expectError(
      await put(`/v1/accounts/${account}/refill`, { amount: 5, schedule: { period: "yearly" } }),
      400,
      "InvalidRequest",
    )
  })

  it("the OpenAPI document lists the new routes", async () => {
    const { paths } = (await get("/openapi.json")).body
    for (const path of [
      "/v1/accounts/{accountId}/auto-top-up",
      "/v1/accounts/{accountId}/auto-top-up/requests/{requestId}/complete",
      "/v1/accounts/{accountId}/auto-top-up/requests/{requestId}/fail",
      "/v1/auto-top-ups/expire",
      "/v1/accounts/{accountId}/refill",
      "/v1/refills/run",
    ]) {
      expect(Object.keys(paths)).toContain(path)
    }
  })
})
