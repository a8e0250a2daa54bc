import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import type { ContractContext } from "./ContractContext.ts"

/** Refunds and adjustments, with their trail, as every adapter must run them. */
export const correctionsContract = ({ run, fails, newAccount }: ContractContext) =>
  describe("corrections", () => {
    test("a refund is a debit linked to the entry it refunds, and refunds never sum past it", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000, idempotencyKey: "pi_1" }))
      await run((l) => l.spend({ accountId, amount: 100 }))
      const { entry } = await run((l) => l.refund({ accountId, sequence: 1, amount: 600, reason: "customer asked" }))
      expect(entry).toMatchObject({
        sequence: 3,
        kind: "refund",
        decision: "Applied",
        requested: -600,
        amount: -600,
        balanceAfter: 300,
        refundOf: 1,
        reason: "customer asked",
        overdrawn: false,
      })
      const error = await fails((l) => l.refund({ accountId, sequence: 1, amount: 401 }))
      expect(error).toMatchObject({ _tag: "RefundExceedsEntry", sequence: 1, amount: 401, refundable: 400 })
      const rest = await run((l) => l.refund({ accountId, sequence: 1 }))
      expect(rest.entry).toMatchObject({ amount: -400, balanceAfter: -100, refundOf: 1 })
      expect(await fails((l) => l.refund({ accountId, sequence: 1 }))).toMatchObject({
        _tag: "RefundExceedsEntry",
        refundable: 0,
      })
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("a refund may take the balance below the floor: the entry says it overdrew, and spends stop", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 500 }))
      await run((l) => l.spend({ accountId, amount: 400 }))
      const { entry } = await run((l) => l.refund({ accountId, sequence: 1 }))
      expect(entry).toMatchObject({ amount: -500, balanceAfter: -400, overdrawn: true })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: -400,
        held: 0,
        available: -400,
        expiresNext: null,
      })
      expect(await fails((l) => l.spend({ accountId, amount: 1 }))).toMatchObject({ _tag: "InsufficientCredits" })
      await run((l) => l.topUp({ accountId, amount: 450 }))
      expect(await run((l) => l.balance(accountId))).toBe(50)
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("only an entry that added credits can be refunded", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      await run((l) => l.spend({ accountId, amount: 10 }))
      expect(await fails((l) => l.refund({ accountId, sequence: 2 }))).toMatchObject({
        _tag: "EntryNotRefundable",
        sequence: 2,
        kind: "usage",
      })
      expect(await fails((l) => l.refund({ accountId, sequence: 3 }))).toMatchObject({
        _tag: "EntryNotFound",
        sequence: 3,
      })
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(2)
    })

    test("a refund retried with its key is applied once", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      const first = await run((l) => l.refund({ accountId, sequence: 1, amount: 30, idempotencyKey: "re_1" }))
      const retry = await run((l) => l.refund({ accountId, sequence: 1, amount: 30, idempotencyKey: "re_1" }))
      expect(retry).toEqual({ entry: first.entry, replayed: true })
      expect(
        await fails((l) => l.refund({ accountId, sequence: 1, amount: 31, idempotencyKey: "re_1" })),
      ).toMatchObject({ _tag: "IdempotencyConflict" })
      expect(await run((l) => l.balance(accountId))).toBe(70)
    })

    test("an entry written and refunded at once is refunded within its amount", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      const [, ...refunds] = await run((l) =>
        Effect.all(
          [
            l.topUp({ accountId, amount: 50 }),
            ...Array.from({ length: 4 }, () => Effect.result(l.refund({ accountId, sequence: 2, amount: 20 }))),
          ],
          { concurrency: "unbounded" },
        ),
      )
      const applied = refunds.filter((r) => r._tag === "Success")
      expect(applied.length).toBeLessThanOrEqual(2)
      for (const r of refunds) {
        if (r._tag === "Failure") expect(["RefundExceedsEntry", "EntryNotFound"]).toContain(r.failure._tag)
      }
      const { entries } = await run((l) => l.entries({ accountId }))
      expect(entries.filter((e) => e.refundOf === 2).reduce((sum, e) => sum - e.amount, 0)).toBeLessThanOrEqual(50)
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("an adjustment adds or removes credits with a reason and an actor", async () => {
      const accountId = newAccount()
      const added = await run((l) => l.adjust({ accountId, amount: 250, reason: "goodwill", actor: "ops@example.com" }))
      expect(added.entry).toMatchObject({
        kind: "adjustment",
        amount: 250,
        balanceAfter: 250,
        reason: "goodwill",
        actor: "ops@example.com",
      })
      const removed = await run((l) => l.adjust({ accountId, amount: -50, reason: "double grant", actor: "ops" }))
      expect(removed.entry).toMatchObject({ kind: "adjustment", requested: -50, amount: -50, balanceAfter: 200 })
    })

    test("a removal obeys the floor, on the available balance, unless forced", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      await run((l) => l.hold({ accountId, amount: 60, idempotencyKey: "h" }))
      expect(await fails((l) => l.adjust({ accountId, amount: -41, reason: "fix", actor: "ops" }))).toMatchObject({
        _tag: "InsufficientCredits",
        balance: 100,
        held: 60,
        amount: 41,
      })
      const forced = await run((l) =>
        l.adjust({ accountId, amount: -130, reason: "chargeback", actor: "ops", force: true }),
      )
      expect(forced.entry).toMatchObject({ amount: -130, balanceAfter: -30, overdrawn: true })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: -30,
        held: 60,
        available: -90,
        expiresNext: null,
      })
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("an adjustment needs a non-zero amount, a reason and an actor", async () => {
      const accountId = newAccount()
      const bad = [
        { accountId, amount: 10, actor: "ops" },
        { accountId, amount: 10, reason: "", actor: "ops" },
        { accountId, amount: 10, reason: "why" },
        { accountId, amount: 0, reason: "why", actor: "ops" },
        { accountId, amount: 10, reason: "line\nbreak", actor: "ops" },
      ]
      for (const request of bad) {
        expect(await fails((l) => l.adjust(request as never))).toMatchObject({ _tag: "InvalidRequest" })
      }
      expect((await run((l) => l.entries({ accountId }))).entries).toEqual([])
    })

    test("a top-up of the kind refund or adjustment is refused, saying where each went", async () => {
      const accountId = newAccount()
      const refund = await fails((l) => l.topUp({ accountId, amount: 5, kind: "refund" } as never))
      expect(refund._tag).toBe("InvalidRequest")
      expect(refund.message).toContain("reversal")
      expect(refund.message).toContain("/refunds")
      const adjustment = await fails((l) => l.topUp({ accountId, amount: 5, kind: "adjustment" } as never))
      expect(adjustment.message).toContain("/adjustments")
      const { entry } = await run((l) => l.topUp({ accountId, amount: 5, kind: "reversal" }))
      expect(entry).toMatchObject({ kind: "reversal", amount: 5 })
    })
  })
