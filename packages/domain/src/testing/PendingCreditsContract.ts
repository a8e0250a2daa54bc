import { describe, expect, test } from "vitest"
import { Limits } from "../Limits.ts"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

const minute = 60_000

/**
 * Pending credits (the origin's inactive transactions): recorded when a checkout starts, counting
 * nowhere until the payment is confirmed; then activated (with the payment's metadata, under the
 * ceiling on the balance at that moment), voided, or expired, once.
 */
export const pendingCreditsContract = (context: ContractContext) =>
  describe("pending credits", () => {
    const { run, fails, newAccount, clock } = context
    const feed = accountFeed(context)

    const funded = async (balance: number) => {
      const accountId = newAccount()
      if (balance > 0) await run((l) => l.topUp({ accountId, amount: balance }))
      return accountId
    }

    test("an account whose only writes are pending credits is known: its balance answers 0, not AccountNotFound, after a void too", async () => {
      const accountId = newAccount()
      expect(await fails((l) => l.writtenBalances(accountId))).toMatchObject({ _tag: "AccountNotFound" })
      await run((l) => l.recordPendingCredit({ accountId, amount: 500, idempotencyKey: "checkout-only" }))
      const empty = { balance: 0, held: 0, available: 0, expiresNext: null }
      expect(await run((l) => l.writtenBalances(accountId))).toEqual(empty)
      await run((l) => l.voidCredit({ accountId, pendingCreditId: 1 }))
      expect(await run((l) => l.writtenBalances(accountId))).toEqual(empty)
    })

    test("a pending credit counts in neither the balance nor the available; activating it credits it with the payment's metadata over its own", async () => {
      const accountId = await funded(100)
      const start = await feed.end()
      const recorded = await run((l) =>
        l.recordPendingCredit({
          accountId,
          amount: 2000,
          idempotencyKey: "checkout-1",
          reference: "checkout-1",
          metadata: { checkout: "cs_1", plan: "pro" },
        }),
      )
      expect(recorded).toMatchObject({
        pendingCredit: {
          accountId,
          pendingCreditId: 1,
          status: "pending",
          kind: "top-up",
          amount: 2000,
          ceiling: null,
          reference: "checkout-1",
          resolvedAt: null,
          entrySequence: null,
        },
        entry: null,
        balances: { balance: 100, held: 0, available: 100 },
        replayed: false,
      })
      const { createdAt, expiresAt } = recorded.pendingCredit
      expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(Limits.pendingCreditExpiresInSecondsDefault * 1000)
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 100,
        held: 0,
        available: 100,
        expiresNext: null,
      })
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
      expect(await run((l) => l.getPendingCredit({ accountId, pendingCreditId: 1 }))).toEqual(recorded.pendingCredit)

      const activated = await run((l) =>
        l.activateCredit({
          accountId,
          pendingCreditId: 1,
          idempotencyKey: "pi_1",
          metadata: { payment: "pi_1", plan: "team" },
        }),
      )
      expect(activated).toMatchObject({
        pendingCredit: { status: "activated", entrySequence: 2 },
        entry: {
          sequence: 2,
          kind: "top-up",
          decision: "Applied",
          requested: 2000,
          amount: 2000,
          balanceAfter: 2100,
          idempotencyKey: "pi_1",
          reference: "checkout-1",
          metadata: { checkout: "cs_1", plan: "team", payment: "pi_1" },
        },
        balances: { balance: 2100, held: 0, available: 2100 },
        replayed: false,
      })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 2100,
        held: 0,
        available: 2100,
        expiresNext: null,
      })
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events.map((event) => event.type)).toEqual(["credit.pending", "credit.activated"])
      expect(events[1]).toMatchObject({
        data: { entrySequence: 2, decision: "Applied", amount: 2000, balanceAfter: 2100 },
      })
    })

    test("activation applies the ceiling as a top-up does, on the balance at activation: the origin's three cases", async () => {
      // Rejects when above threshold: the credit stays pending, nothing moves.
      const rejected = await funded(1000)
      await run((l) => l.recordPendingCredit({ accountId: rejected, amount: 200, ceiling: 800, idempotencyKey: "k" }))
      const error = await fails((l) => l.activateCredit({ accountId: rejected, pendingCreditId: 1 }))
      expect(error).toMatchObject({ _tag: "BalanceAtCeiling", balance: 1000, ceiling: 800, amount: 200 })
      expect(error.message).toContain("You already have enough balance")
      expect(await run((l) => l.balance(rejected))).toBe(1000)
      expect(await run((l) => l.getPendingCredit({ accountId: rejected, pendingCreditId: 1 }))).toMatchObject({
        status: "pending",
      })

      // Clamps when it would exceed, deciding on the balance now, not when the checkout started.
      const clamped = await funded(0)
      await run((l) => l.recordPendingCredit({ accountId: clamped, amount: 800, ceiling: 1000, idempotencyKey: "k" }))
      await run((l) => l.topUp({ accountId: clamped, amount: 500 }))
      const { entry } = await run((l) => l.activateCredit({ accountId: clamped, pendingCreditId: 1 }))
      expect(entry).toMatchObject({ decision: "Clamped", requested: 800, amount: 500, balanceAfter: 1000 })
      expect(await run((l) => l.balance(clamped))).toBe(1000)
      const topUps = (await run((l) => l.entries({ accountId: clamped }))).entries
      expect(topUps.map((e) => [e.kind, e.balanceAfter])).toEqual([
        ["top-up", 1000],
        ["top-up", 500],
      ])

      // Allows when under threshold.
      const allowed = await funded(300)
      await run((l) => l.recordPendingCredit({ accountId: allowed, amount: 200, ceiling: 1000, idempotencyKey: "k" }))
      const posted = await run((l) => l.activateCredit({ accountId: allowed, pendingCreditId: 1 }))
      expect(posted.entry).toMatchObject({ decision: "Applied", amount: 200, balanceAfter: 500 })
      expect(await run((l) => l.balance(allowed))).toBe(500)
    })

    test("a pending credit resolves once: the same activation replays, any other is refused naming its state", async () => {
      const accountId = await funded(0)
      await run((l) => l.recordPendingCredit({ accountId, amount: 300, idempotencyKey: "c1" }))
      await run((l) => l.recordPendingCredit({ accountId, amount: 400, idempotencyKey: "c2" }))
      const first = await run((l) => l.activateCredit({ accountId, pendingCreditId: 1, idempotencyKey: "pay-1" }))
      const again = await run((l) => l.activateCredit({ accountId, pendingCreditId: 1, idempotencyKey: "pay-1" }))
      expect(again).toEqual({ ...first, replayed: true })
      for (const key of ["pay-other", undefined]) {
        const refused = await fails((l) =>
          l.activateCredit({ accountId, pendingCreditId: 1, ...(key === undefined ? {} : { idempotencyKey: key }) }),
        )
        expect(refused).toMatchObject({ _tag: "PendingCreditNotPending", pendingCreditId: 1, status: "activated" })
      }
      expect(await fails((l) => l.voidCredit({ accountId, pendingCreditId: 1 }))).toMatchObject({
        _tag: "PendingCreditNotPending",
        status: "activated",
      })
      const voided = await run((l) => l.voidCredit({ accountId, pendingCreditId: 2, idempotencyKey: "void-2" }))
      expect(voided).toMatchObject({ pendingCredit: { status: "voided", entrySequence: null }, entry: null })
      expect(await run((l) => l.voidCredit({ accountId, pendingCreditId: 2, idempotencyKey: "void-2" }))).toEqual({
        ...voided,
        replayed: true,
      })
      expect(await fails((l) => l.activateCredit({ accountId, pendingCreditId: 2 }))).toMatchObject({
        _tag: "PendingCreditNotPending",
        status: "voided",
      })
      expect(await fails((l) => l.activateCredit({ accountId, pendingCreditId: 3 }))).toMatchObject({
        _tag: "PendingCreditNotFound",
      })
      expect(await run((l) => l.balance(accountId))).toBe(300)
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
    })

    test("recording is idempotent by its required key: the same request answers the same credit, another conflicts", async () => {
      const accountId = await funded(0)
      const first = await run((l) =>
        l.recordPendingCredit({ accountId, amount: 500, idempotencyKey: "checkout", metadata: { a: 1 } }),
      )
      const again = await run((l) =>
        l.recordPendingCredit({ accountId, amount: 500, idempotencyKey: "checkout", metadata: { a: 1 } }),
      )
      expect(again).toEqual({ ...first, replayed: true })
      expect(
        await fails((l) => l.recordPendingCredit({ accountId, amount: 501, idempotencyKey: "checkout" })),
      ).toMatchObject({ _tag: "IdempotencyConflict" })
      expect(await fails((l) => l.recordPendingCredit({ accountId, amount: 500 } as never))).toMatchObject({
        _tag: "InvalidRequest",
      })
      const second = await run((l) => l.recordPendingCredit({ accountId, amount: 1, idempotencyKey: "other" }))
      expect(second.pendingCredit.pendingCreditId).toBe(2)
    })

    test("past its deadline a pending credit cannot be activated: it expires, by the refused activation, a late void or the sweep, once", async () => {
      const accountId = await funded(0)
      const start = await feed.end()
      for (const key of ["a", "b", "c"]) {
        await run((l) => l.recordPendingCredit({ accountId, amount: 100, expiresInSeconds: 60, idempotencyKey: key }))
      }
      clock.advance(2 * minute)
      const error = await fails((l) => l.activateCredit({ accountId, pendingCreditId: 1, idempotencyKey: "late" }))
      expect(error).toMatchObject({ _tag: "PendingCreditExpired", pendingCreditId: 1 })
      expect(await fails((l) => l.activateCredit({ accountId, pendingCreditId: 1, idempotencyKey: "late" }))).toEqual(
        error,
      )
      const late = await run((l) => l.voidCredit({ accountId, pendingCreditId: 2 }))
      expect(late.pendingCredit.status).toBe("expired")
      await run((l) => l.expirePendingCredits)
      await run((l) => l.expirePendingCredits)
      const all = await run((l) => l.pendingCredits({ accountId }))
      expect(all.pendingCredits.map((c) => [c.pendingCreditId, c.status])).toEqual([
        [3, "expired"],
        [2, "expired"],
        [1, "expired"],
      ])
      expect(await run((l) => l.balances(accountId))).toEqual({ balance: 0, held: 0, available: 0, expiresNext: null })
      const events = await feed.eventsOf(accountId, start, 6)
      expect(events.map((event) => event.type)).toEqual([
        "credit.pending",
        "credit.pending",
        "credit.pending",
        "credit.expired",
        "credit.expired",
        "credit.expired",
      ])
    })

    test("grant terms make the activated credit a grant that expires", async () => {
      const accountId = await funded(0)
      const grantExpiresAt = new Date(clock.nowMs() + 10 * minute).toISOString()
      await run((l) =>
        l.recordPendingCredit({
          accountId,
          amount: 250,
          kind: "grant",
          grantExpiresAt,
          grantPriority: 2,
          idempotencyKey: "promo",
        }),
      )
      expect((await run((l) => l.grants({ accountId }))).grants).toEqual([])
      const { entry } = await run((l) => l.activateCredit({ accountId, pendingCreditId: 1 }))
      expect(entry).toMatchObject({ kind: "grant", amount: 250, allocations: [{ grantId: 1, amount: 250 }] })
      expect((await run((l) => l.grants({ accountId }))).grants).toMatchObject([
        { grantId: 1, status: "live", remaining: 250, priority: 2, expiresAt: grantExpiresAt },
      ])
    })

    test("an account's pending credits list newest first, by status, a page at a time", async () => {
      const accountId = await funded(0)
      for (let i = 1; i <= 5; i++) {
        await run((l) => l.recordPendingCredit({ accountId, amount: i, idempotencyKey: `k${i}` }))
      }
      await run((l) => l.activateCredit({ accountId, pendingCreditId: 2 }))
      await run((l) => l.voidCredit({ accountId, pendingCreditId: 4 }))
      const first = await run((l) => l.pendingCredits({ accountId, limit: 2 }))
      expect(first.pendingCredits.map((c) => c.pendingCreditId)).toEqual([5, 4])
      const second = await run((l) => l.pendingCredits({ accountId, limit: 2, cursor: first.nextCursor! }))
      expect(second.pendingCredits.map((c) => c.pendingCreditId)).toEqual([3, 2])
      const pending = await run((l) => l.pendingCredits({ accountId, status: "pending" }))
      expect(pending).toMatchObject({ nextCursor: null })
      expect(pending.pendingCredits.map((c) => c.pendingCreditId)).toEqual([5, 3, 1])
      expect(
        await fails((l) => l.pendingCredits({ accountId, status: "pending", cursor: first.nextCursor! })),
      ).toMatchObject({ _tag: "InvalidRequest" })
      expect(await fails((l) => l.getPendingCredit({ accountId, pendingCreditId: 6 }))).toMatchObject({
        _tag: "PendingCreditNotFound",
      })
    })

    test("a credit recorded after others resolved takes the next id: activated and voided credits stay as they were", async () => {
      const accountId = await funded(0)
      await run((l) => l.recordPendingCredit({ accountId, amount: 30, idempotencyKey: "first" }))
      const activated = await run((l) => l.activateCredit({ accountId, pendingCreditId: 1 }))
      const second = await run((l) => l.recordPendingCredit({ accountId, amount: 40, idempotencyKey: "second" }))
      expect(second.pendingCredit).toMatchObject({ pendingCreditId: 2, status: "pending" })
      await run((l) => l.voidCredit({ accountId, pendingCreditId: 2 }))
      const third = await run((l) => l.recordPendingCredit({ accountId, amount: 50, idempotencyKey: "third" }))
      expect(third.pendingCredit).toMatchObject({ pendingCreditId: 3, status: "pending" })
      const listed = await run((l) => l.pendingCredits({ accountId }))
      expect(listed.pendingCredits.map((c) => [c.pendingCreditId, c.status, c.amount])).toEqual([
        [3, "pending", 50],
        [2, "voided", 40],
        [1, "activated", 30],
      ])
      expect(await run((l) => l.getPendingCredit({ accountId, pendingCreditId: 1 }))).toEqual(activated.pendingCredit)
    })

    test("the audit finds an activated credit's one entry, and none for voided or expired ones", async () => {
      const accountId = await funded(50)
      await run((l) => l.recordPendingCredit({ accountId, amount: 70, ceiling: 100, idempotencyKey: "a" }))
      await run((l) => l.recordPendingCredit({ accountId, amount: 10, idempotencyKey: "b", expiresInSeconds: 1 }))
      await run((l) => l.recordPendingCredit({ accountId, amount: 10, idempotencyKey: "c" }))
      await run((l) => l.activateCredit({ accountId, pendingCreditId: 1 }))
      await run((l) => l.voidCredit({ accountId, pendingCreditId: 3 }))
      clock.advance(2_000)
      await run((l) => l.expirePendingCredits)
      const report = await run((l) => l.audit)
      expect(report.violations.filter((violation) => violation.accountId === accountId)).toEqual([])
      expect(await run((l) => l.balance(accountId))).toBe(100)
    })
  })
