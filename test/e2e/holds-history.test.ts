import * as Fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readUntil } from "../support/ReadUntil.ts"
import { accountId, freshDataDir, type Reply, request, type Service, startService } from "./TallyProcess.ts"

/**
 * Holds, corrections and history as a caller meets them: `tally serve` on a fresh embedded
 * PostgreSQL, spoken to over HTTP only.
 */

let service: Service
let dataDir: string

beforeAll(async () => {
  dataDir = freshDataDir("e2e-holds")
  service = await startService({ TALLY_DATA_DIR: dataDir })
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

const url = (path: string) => `${service.url}${path}`
const post = (path: string, body: unknown, key?: string) =>
  request(url(path), { method: "POST", body, headers: key === undefined ? {} : { "Idempotency-Key": key } })
const get = (path: string) => request(url(path))

const expectError = (reply: Reply, status: number, tag: string) => {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.body).toMatchObject({ _tag: tag, message: expect.any(String) })
  expect(reply.text).not.toMatch(/\n\s+at |node_modules|postgres|SqlError/i)
}

describe("a run over HTTP: reserve before, settle after", () => {
  it("holds 500, captures 200 and 150 keeping the hold open, releases the rest", async () => {
    const account = accountId("run")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 1000 })

    const hold = await post(`/v1/accounts/${account}/holds`, { amount: 500, reference: "run-42" }, "run-42-hold")
    expect(hold.status, hold.text).toBe(200)
    expect(hold.body).toMatchObject({
      hold: { holdId: 1, status: "open", amount: 500, captured: 0, reference: "run-42" },
      entry: null,
      balance: 1000,
      held: 500,
      available: 500,
    })
    const first = await post(`/v1/accounts/${account}/holds/1/captures`, { amount: 200, final: false }, "run-42-step-1")
    expect(first.body).toMatchObject({
      hold: { status: "open", captured: 200 },
      entry: { sequence: 2, kind: "usage", amount: -200, balanceAfter: 800, holdId: 1, reference: "run-42" },
      balance: 800,
      held: 300,
      available: 500,
    })
    const second = await post(
      `/v1/accounts/${account}/holds/1/captures`,
      { amount: 150, final: false },
      "run-42-step-2",
    )
    expect(second.body).toMatchObject({ entry: { sequence: 3, amount: -150 }, balance: 650, held: 150, available: 500 })
    const released = await post(`/v1/accounts/${account}/holds/1/release`, undefined, "run-42-end")
    expect(released.status, released.text).toBe(200)
    expect(released.body).toMatchObject({
      hold: { status: "released", amount: 500, captured: 350 },
      entry: null,
      balance: 650,
      held: 0,
      available: 650,
    })

    expect((await get(`/v1/accounts/${account}/balance`)).body).toEqual({
      accountId: account,
      balance: 650,
      held: 0,
      available: 650,
      expiresNext: null,
    })
    const entries = await get(`/v1/accounts/${account}/entries`)
    expect(
      entries.body.entries.map((e: { kind: string; amount: number; balanceAfter: number }) => [
        e.kind,
        e.amount,
        e.balanceAfter,
      ]),
    ).toEqual([
      ["usage", -150, 650],
      ["usage", -200, 800],
      ["top-up", 1000, 1000],
    ])
    const run = await get(`/v1/accounts/${account}/totals?reference=run-42`)
    expect(run.body).toEqual({ accountId: account, totals: [{ kind: "usage", entries: 2, amount: "-350" }] })
  })

  it("requires an Idempotency-Key on every hold operation, and replays by it", async () => {
    const account = accountId("keys")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 100 })
    expectError(await post(`/v1/accounts/${account}/holds`, { amount: 10 }), 400, "InvalidRequest")
    const first = await post(`/v1/accounts/${account}/holds`, { amount: 10 }, "h")
    const retry = await post(`/v1/accounts/${account}/holds`, { amount: 10 }, "h")
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect(retry.body).toEqual(first.body)
    expectError(await post(`/v1/accounts/${account}/holds`, { amount: 11 }, "h"), 409, "IdempotencyConflict")
    expectError(await post(`/v1/accounts/${account}/holds/1/captures`, {}), 400, "InvalidRequest")
    expect((await get(`/v1/accounts/${account}/balance`)).body).toMatchObject({ held: 10, available: 90 })
  })

  it("answers 404 for an unknown hold, 409 once it resolved, 409 when the available balance is short", async () => {
    const account = accountId("states")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 100 })
    expectError(await get(`/v1/accounts/${account}/holds/9`), 404, "HoldNotFound")
    expectError(await post(`/v1/accounts/${account}/holds/9/captures`, {}, "c"), 404, "HoldNotFound")
    await post(`/v1/accounts/${account}/holds`, { amount: 80 }, "h")
    expectError(await post(`/v1/accounts/${account}/spends`, { amount: 30 }), 409, "InsufficientCredits")
    const capture = await post(`/v1/accounts/${account}/holds/1/captures`, {}, "all")
    expect(capture.body).toMatchObject({ hold: { status: "captured", captured: 80 }, balance: 20, held: 0 })
    const again = await post(`/v1/accounts/${account}/holds/1/release`, {}, "r")
    expectError(again, 409, "HoldNotOpen")
    expect(again.body).toMatchObject({ holdId: 1, status: "captured" })
    const debt = await post(`/v1/accounts/${account}/holds`, { amount: 20 }, "h2")
    expect(debt.status).toBe(200)
    const overdrawn = await post(`/v1/accounts/${account}/holds/2/captures`, { amount: 50, allowDebt: true }, "c2")
    expect(overdrawn.body).toMatchObject({ entry: { amount: -50, balanceAfter: -30, overdrawn: true }, available: -30 })
  })

  it("releases a hold past its deadline by itself, as expired, and refuses to capture it", async () => {
    const account = accountId("expiry")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 100 })
    const placed = await post(`/v1/accounts/${account}/holds`, { amount: 60, expiresInSeconds: 1 }, "short")
    expect(placed.body.hold.expiresAt).not.toBeNull()
    // The service's sweep runs every second; wait for it rather than for a fixed time.
    const hold = await readUntil(
      async () => (await get(`/v1/accounts/${account}/holds/1`)).body,
      (read) => read.status !== "open",
      10_000,
    )
    expect(hold).toMatchObject({ status: "expired", captured: 0 })
    expect((await get(`/v1/accounts/${account}/balance`)).body).toMatchObject({ balance: 100, held: 0, available: 100 })
    expectError(await post(`/v1/accounts/${account}/holds/1/captures`, { amount: 10 }, "late"), 409, "HoldNotOpen")
  })
})

describe("corrections over HTTP", () => {
  it("refunds a top-up as a linked debit within what is left of it, into debt if need be", async () => {
    const account = accountId("refund")
    await post(`/v1/accounts/${account}/top-ups`, { amount: 1000 }, "pi_123")
    await post(`/v1/accounts/${account}/spends`, { amount: 700 })
    const refund = await post(
      `/v1/accounts/${account}/entries/1/refunds`,
      { amount: 600, reason: "dispute lost" },
      "re_1",
    )
    expect(refund.status, refund.text).toBe(200)
    expect(refund.body).toMatchObject({
      entry: { sequence: 3, kind: "refund", amount: -600, balanceAfter: -300, refundOf: 1, overdrawn: true },
      balance: -300,
    })
    const retry = await post(
      `/v1/accounts/${account}/entries/1/refunds`,
      { amount: 600, reason: "dispute lost" },
      "re_1",
    )
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    const tooMuch = await post(`/v1/accounts/${account}/entries/1/refunds`, { amount: 401 })
    expectError(tooMuch, 409, "RefundExceedsEntry")
    expect(tooMuch.body).toMatchObject({ sequence: 1, amount: 401, refundable: 400 })
    expectError(await post(`/v1/accounts/${account}/entries/2/refunds`, {}), 409, "EntryNotRefundable")
    expectError(await post(`/v1/accounts/${account}/entries/99/refunds`, {}), 404, "EntryNotFound")
    expectError(await post(`/v1/accounts/${account}/spends`, { amount: 1 }), 409, "InsufficientCredits")
  })

  it("adjusts with a reason and an actor, refusing a removal past the floor unless forced", async () => {
    const account = accountId("adjust")
    const added = await post(`/v1/accounts/${account}/adjustments`, {
      amount: 50,
      reason: "goodwill",
      actor: "ops@acme",
    })
    expect(added.body.entry).toMatchObject({ kind: "adjustment", amount: 50, reason: "goodwill", actor: "ops@acme" })
    expectError(await post(`/v1/accounts/${account}/adjustments`, { amount: 5, reason: "x" }), 400, "InvalidRequest")
    const refused = await post(`/v1/accounts/${account}/adjustments`, { amount: -80, reason: "fraud", actor: "ops" })
    expectError(refused, 409, "InsufficientCredits")
    const forced = await post(`/v1/accounts/${account}/adjustments`, {
      amount: -80,
      reason: "fraud",
      actor: "ops",
      force: true,
    })
    expect(forced.body).toMatchObject({ entry: { amount: -80, balanceAfter: -30, overdrawn: true }, balance: -30 })
  })

  it("refuses the old top-up kinds refund and adjustment with 400, saying where they went", async () => {
    const account = accountId("kinds")
    const refund = await post(`/v1/accounts/${account}/top-ups`, { amount: 5, kind: "refund" })
    expectError(refund, 400, "InvalidRequest")
    expect(refund.body.message).toContain("reversal")
    expect(refund.body.message).toContain("/refunds")
    expect((await post(`/v1/accounts/${account}/top-ups`, { amount: 5, kind: "reversal" })).body.entry.kind).toBe(
      "reversal",
    )
  })
})

describe("history over HTTP", () => {
  it("filters an account's entries by time and reference", async () => {
    const account = accountId("filters")
    const first = await post(`/v1/accounts/${account}/top-ups`, { amount: 100, reference: "order-1" })
    await post(`/v1/accounts/${account}/spends`, { amount: 10, reference: "run-a" })
    const last = await post(`/v1/accounts/${account}/spends`, { amount: 20, reference: "run-b" })
    const byReference = await get(`/v1/accounts/${account}/entries?reference=run-a`)
    expect(byReference.body.entries.map((e: { amount: number }) => e.amount)).toEqual([-10])
    const from = encodeURIComponent(last.body.entry.createdAt)
    const since = await get(`/v1/accounts/${account}/entries?from=${from}`)
    expect(since.body.entries.map((e: { sequence: number }) => e.sequence)).toContain(3)
    const before = await get(`/v1/accounts/${account}/entries?to=${encodeURIComponent(first.body.entry.createdAt)}`)
    expect(before.body.entries).toEqual([])
    expectError(await get(`/v1/accounts/${account}/entries?from=yesterday`), 400, "InvalidRequest")
  })

  it("searches across accounts for operators and exports CSV and NDJSON as a stream", async () => {
    const reference = `batch-${Math.random().toString(36).slice(2, 10)}`
    const accounts = [accountId("ops-a"), accountId("ops-b")]
    for (const [i, account] of accounts.entries()) {
      await post(`/v1/accounts/${account}/top-ups`, {
        amount: 100 + i,
        reference,
        metadata: { note: 'say "hi", then go' },
      })
    }
    const page = await get(`/v1/entries?reference=${reference}&limit=1`)
    expect(page.body.entries).toHaveLength(1)
    const next = await get(`/v1/entries?reference=${reference}&limit=1&cursor=${page.body.nextCursor}`)
    expect([...page.body.entries, ...next.body.entries].map((e: { accountId: string }) => e.accountId).sort()).toEqual(
      [...accounts].sort(),
    )

    const csv = await fetch(url(`/v1/entries/export?reference=${reference}`))
    expect(csv.status).toBe(200)
    expect(csv.headers.get("content-type")).toContain("text/csv")
    const lines = (await csv.text()).split("\r\n").filter((line) => line !== "")
    expect(lines[0]).toBe(
      "accountId,sequence,createdAt,kind,decision,requested,amount,balanceAfter,idempotencyKey,reference,holdId,refundOf,reason,actor,overdrawn,metadata,member",
    )
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain(`,top-up,Applied,100,100,100,,${reference},`)
    expect(lines[1]).toContain('"{""note"":""say \\""hi\\"", then go""}"')

    const ndjson = await fetch(url(`/v1/entries/export?format=ndjson&reference=${reference}`))
    expect(ndjson.headers.get("content-type")).toContain("application/x-ndjson")
    const rows = (await ndjson.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(rows.map((row) => row.amount)).toEqual([100, 101])
  })

  it("documents the new routes in its OpenAPI document", async () => {
    const openapi = await get("/openapi.json")
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/accounts/{accountId}/holds",
        "/v1/accounts/{accountId}/holds/{holdId}",
        "/v1/accounts/{accountId}/holds/{holdId}/captures",
        "/v1/accounts/{accountId}/holds/{holdId}/release",
        "/v1/holds/expire",
        "/v1/accounts/{accountId}/entries/{sequence}/refunds",
        "/v1/accounts/{accountId}/adjustments",
        "/v1/accounts/{accountId}/totals",
        "/v1/entries",
        "/v1/entries/export",
      ]),
    )
  })
})
