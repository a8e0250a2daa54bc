import * as Fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accountId, freshDataDir, type Reply, request, type Service, startService } from "./TallyProcess.ts"

/**
 * Issue 24's answers over HTTP, as `tally serve` gives them on each storage: a replayed refusal is
 * marked `Idempotent-Replayed: true` on every write route (concurrent duplicates included), totals
 * past 2^53 - 1 answer exactly, a forced removal cannot take `available` past -(2^53 - 1), a hold past
 * the bound on `held` answers its own error, and no write that lands answers 500.
 */

const max = Number.MAX_SAFE_INTEGER

describe.each(["memory", "postgres"] as const)("at the edges, on %s", (storage) => {
  let service: Service
  let dataDir: string

  beforeAll(async () => {
    dataDir = freshDataDir(`e2e-edges-${storage}`)
    service = await startService({ TALLY_DATA_DIR: dataDir, TALLY_STORAGE: storage })
  })

  afterAll(async () => {
    expect(await service?.stop("SIGTERM")).toBe(0)
    Fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const url = (path: string) => `${service.url}/v1/accounts/${path}`
  const post = (path: string, body: unknown, key?: string) =>
    request(url(path), { method: "POST", body, headers: key === undefined ? {} : { "Idempotency-Key": key } })
  const put = (path: string, body: unknown) => request(url(path), { method: "PUT", body })
  const get = (path: string) => request(url(path))

  /** The refusal first, unmarked; then, after `between`, its retry with the same key: the same answer, marked. */
  const refusedThenReplayed = async (
    send: () => Promise<Reply>,
    status: number,
    tag: string,
    between: () => Promise<unknown> = async () => undefined,
  ) => {
    const first = await send()
    expect(first.status, first.text).toBe(status)
    expect(first.body._tag).toBe(tag)
    expect(first.headers.get("idempotent-replayed")).toBeNull()
    await between()
    const again = await send()
    expect(again.status, again.text).toBe(status)
    expect(again.body).toEqual(first.body)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
  }

  it("marks a replayed refusal on every write route", async () => {
    const a = accountId("replays")
    // The sequence: refused, the account funded meanwhile, the retry still refused and marked.
    await refusedThenReplayed(
      () => post(`${a}/holds`, { amount: 100 }, "h1"),
      409,
      "InsufficientCredits",
      () => post(`${a}/top-ups`, { amount: 500 }),
    )
    await refusedThenReplayed(() => post(`${a}/spends`, { amount: 1_000 }, "s1"), 409, "InsufficientCredits")
    await refusedThenReplayed(() => post(`${a}/top-ups`, { amount: 10, ceiling: 100 }, "t1"), 409, "BalanceAtCeiling")
    await refusedThenReplayed(
      () => post(`${a}/holds/9/captures`, { amount: 1 }, "c1"),
      404,
      "HoldNotFound",
      () => post(`${a}/holds`, { amount: 10 }, "h2"),
    )
    await refusedThenReplayed(() => post(`${a}/holds/9/release`, undefined, "r1"), 404, "HoldNotFound")
    await refusedThenReplayed(() => post(`${a}/entries/99/refunds`, {}, "f1"), 404, "EntryNotFound")
    await refusedThenReplayed(
      () => post(`${a}/adjustments`, { amount: -10_000, reason: "r", actor: "a" }, "a1"),
      409,
      "InsufficientCredits",
    )
    await refusedThenReplayed(
      () => post(`${a}/auto-top-up/requests/7/complete`, { paymentReference: "pi_1" }),
      404,
      "AutoTopUpRequestNotFound",
    )
    await refusedThenReplayed(
      () => post(`${a}/auto-top-up/requests/7/fail`, { reason: "card_declined" }, "x1"),
      404,
      "AutoTopUpRequestNotFound",
    )
    expect((await get(`${a}/balance`)).body).toMatchObject({ balance: 500, held: 10, available: 490 })
  })

  it("marks all but one of concurrent duplicates of a refused write", async () => {
    const a = accountId("duplicates")
    const replies = await Promise.all(Array.from({ length: 12 }, () => post(`${a}/holds`, { amount: 100 }, "same")))
    for (const reply of replies) expect(reply.body._tag, reply.text).toBe("InsufficientCredits")
    expect(replies.filter((reply) => reply.headers.get("idempotent-replayed") === null)).toHaveLength(1)
  })

  it("answers totals past 2^53 - 1 exactly, as decimal strings", async () => {
    const a = accountId("totals")
    expect((await post(`${a}/top-ups`, { amount: max })).status).toBe(200)
    expect((await post(`${a}/spends`, { amount: max })).status).toBe(200)
    expect((await post(`${a}/top-ups`, { amount: 1 })).status).toBe(200)
    const totals = await get(`${a}/totals`)
    expect(totals.status, totals.text).toBe(200)
    expect(totals.body).toEqual({
      accountId: a,
      totals: [
        { kind: "top-up", entries: 2, amount: "9007199254740992" },
        { kind: "usage", entries: 1, amount: "-9007199254740991" },
      ],
    })
  })

  it("refuses a forced removal past the smallest available balance, and every write that lands answers", async () => {
    const a = accountId("forced")
    expect((await put(`${a}/settings`, { overdraftLimit: max })).status).toBe(200)
    expect((await post(`${a}/holds`, { amount: max }, "h1")).status).toBe(200)
    const forced = await post(`${a}/adjustments`, { amount: -10, reason: "r", actor: "a", force: true })
    expect(forced.status, forced.text).toBe(409)
    expect(forced.body).toMatchObject({
      _tag: "BalanceLimitExceeded",
      balance: 0,
      amount: 10,
      balanceMax: -max,
      heldAfter: max,
    })
    expect((await get(`${a}/balance`)).body).toEqual({
      accountId: a,
      balance: 0,
      held: max,
      available: -max,
      expiresNext: null,
    })
    const capture = () => post(`${a}/holds/1/captures`, { amount: 1, final: false }, "c1")
    const captured = await capture()
    expect(captured.status, captured.text).toBe(200)
    expect(captured.body).toMatchObject({ balance: -1, held: max - 1, available: -max })
    const again = await capture()
    expect(again.status, again.text).toBe(200)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    // Refunds and debts allowed past the floor meet the same bound.
    const capturedPast = await post(`${a}/holds/1/captures`, { amount: max, allowDebt: true }, "c2")
    expect(capturedPast.status, capturedPast.text).toBe(409)
    expect(capturedPast.body).toMatchObject({ _tag: "BalanceLimitExceeded", balanceMax: -max })
    expect((await request(`${service.url}/v1/audit`)).body.violations).toEqual([])
  })

  it("refuses a hold past the bound on held with HeldLimitExceeded, while a spend of the same amount succeeds", async () => {
    const a = accountId("held")
    await put(`${a}/settings`, { overdraftLimit: max })
    await post(`${a}/top-ups`, { amount: max })
    expect((await post(`${a}/holds`, { amount: max }, "h1")).body).toMatchObject({ held: max, available: 0 })
    const past = await post(`${a}/holds`, { amount: 5 }, "h2")
    expect(past.status, past.text).toBe(409)
    expect(past.body).toMatchObject({ _tag: "HeldLimitExceeded", held: max, amount: 5, heldMax: max })
    expect(past.body.message).toContain("largest amount held")
    const spent = await post(`${a}/spends`, { amount: 5 })
    expect(spent.status, spent.text).toBe(200)
    expect((await get(`${a}/balance`)).body).toMatchObject({ balance: max - 5, held: max, available: -5 })
  })

  it("reports what the account holds when a capture beyond its hold is refused", async () => {
    const a = accountId("capture-held")
    await post(`${a}/top-ups`, { amount: 100 })
    await post(`${a}/holds`, { amount: 80 }, "h1")
    const refused = await post(`${a}/holds/1/captures`, { amount: 200 }, "c1")
    expect(refused.status, refused.text).toBe(409)
    expect(refused.body).toMatchObject({ _tag: "InsufficientCredits", balance: 100, amount: 200, floor: 0, held: 80 })
  })
})
