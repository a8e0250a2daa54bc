import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import { Limits } from "../Limits.ts"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

/**
 * Auto top-up, named as the origin names it (`auto_top_up`: `threshold`, `amount`): a debit that
 * leaves the available balance below the threshold opens one request; the app charges its customer,
 * then completes or fails it; nobody doing either expires it.
 */
export const autoTopUpContract = (context: ContractContext) =>
  describe("auto top-up", () => {
    const { run, fails, newAccount, clock } = context
    const feed = accountFeed(context)

    /** An account with `balance` credits and the origin's settings (threshold 100, amount 500) unless told otherwise. */
    const configured = async (
      balance: number,
      settings: { threshold?: number; amount?: number; ceiling?: number } = {},
    ) => {
      const accountId = newAccount()
      if (balance > 0) await run((l) => l.topUp({ accountId, amount: balance, kind: "grant" }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500, ...settings }))
      return accountId
    }

    test("the origin's flow: settings saved change no balance, a spend below the threshold asks for the amount, completing credits it", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 50, kind: "grant" }))
      const status = await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      expect(status).toEqual({
        accountId,
        enabled: true,
        threshold: 100,
        amount: 500,
        ceiling: null,
        consecutiveFailures: 0,
        openRequestId: null,
      })
      expect(await run((l) => l.autoTopUp(accountId))).toEqual(status)
      expect(await run((l) => l.balance(accountId))).toBe(50)

      const start = await feed.end()
      await run((l) => l.spend({ accountId, amount: 10 }))
      expect(await run((l) => l.balance(accountId))).toBe(40)
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 1 })
      const request = await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))
      expect(request).toMatchObject({
        accountId,
        requestId: 1,
        status: "open",
        amount: 500,
        amountConfigured: 500,
        threshold: 100,
        availableAtOpen: 40,
        balanceAtOpen: 40,
        resolvedAt: null,
        entrySequence: null,
      })
      expect(Date.parse(request.expiresAt) - Date.parse(request.openedAt)).toBe(Limits.autoTopUpRequestExpiryMs)

      const completed = await run((l) =>
        l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_origin_1" }),
      )
      expect(completed).toMatchObject({
        replayed: false,
        request: { status: "completed", paymentReference: "pi_origin_1", entrySequence: 3 },
        entry: {
          sequence: 3,
          kind: "top-up",
          amount: 500,
          balanceAfter: 540,
          idempotencyKey: "pi_origin_1",
          reference: "auto-top-up:1",
        },
      })
      expect(await run((l) => l.balance(accountId))).toBe(540)
      const { entries } = await run((l) => l.entries({ accountId }))
      expect(entries.map((e) => e.kind)).toEqual(["top-up", "usage", "grant"])
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null, consecutiveFailures: 0 })
      // 50 was already below the threshold: no crossing, so no balance.low; the request and its completion.
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events.map((e) => e.type)).toEqual(["auto_top_up.requested", "auto_top_up.completed"])
      expect(events[1]).toMatchObject({
        data: { entrySequence: 3, balanceAfter: 540, request: { status: "completed" } },
      })
    })

    test("a spend that crosses the threshold tells balance.low, then auto_top_up.requested, in its own transaction", async () => {
      const accountId = await configured(150)
      const start = await feed.end()
      const { entry } = await run((l) => l.spend({ accountId, amount: 70 }))
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events.map((e) => e.type)).toEqual(["balance.low", "auto_top_up.requested"])
      expect(events[0]).toMatchObject({
        accountId,
        createdAt: entry.createdAt,
        data: { threshold: 100, availableBefore: 150, availableAfter: 80, entrySequence: 2, holdId: null },
      })
      expect(events[1]).toMatchObject({ data: { request: { requestId: 1, amount: 500, status: "open" } } })
    })

    test("while a request is open, more spends below the threshold open none; once it resolves, the next one does", async () => {
      const accountId = await configured(400)
      await run((l) => l.spend({ accountId, amount: 350 }))
      await run((l) => l.spend({ accountId, amount: 20 }))
      await run((l) => l.spend({ accountId, amount: 20 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 1 })
      expect(await fails((l) => l.getAutoTopUpRequest({ accountId, requestId: 2 }))).toMatchObject({
        _tag: "AutoTopUpRequestNotFound",
      })
      await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }))
      await run((l) => l.spend({ accountId, amount: 1 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 2, consecutiveFailures: 1 })
    })

    test("a top-up or a spend that stays above the threshold opens nothing, and neither does a disabled auto top-up", async () => {
      const accountId = await configured(1000)
      await run((l) => l.spend({ accountId, amount: 900 }))
      await run((l) => l.topUp({ accountId, amount: 5 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
      const off = await configured(200)
      await run((l) => l.configureAutoTopUp({ accountId: off, threshold: 100, amount: 500, enabled: false }))
      await run((l) => l.spend({ accountId: off, amount: 150 }))
      expect(await run((l) => l.autoTopUp(off))).toMatchObject({ enabled: false, openRequestId: null })
    })

    test("a hold counts as spent: reserving below the threshold opens a request, clamped under the ceiling on the balance", async () => {
      const accountId = await configured(300, { ceiling: 400 })
      const start = await feed.end()
      await run((l) => l.hold({ accountId, amount: 250, idempotencyKey: "run-1" }))
      // Available 50 is below 100; the balance (300) has room for 100 under the ceiling.
      const request = await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))
      expect(request).toMatchObject({ amount: 100, amountConfigured: 500, availableAtOpen: 50, balanceAtOpen: 300 })
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events[0]).toMatchObject({ type: "balance.low", data: { entrySequence: null, holdId: 1 } })
    })

    test("a balance at or above the ceiling opens no request, however little is available", async () => {
      const accountId = await configured(400, { ceiling: 400 })
      await run((l) => l.hold({ accountId, amount: 350, idempotencyKey: "run-1" }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
    })

    test("completing credits the amount in full, even when another top-up raised the balance past the ceiling meanwhile", async () => {
      const accountId = await configured(150, { ceiling: 600 })
      await run((l) => l.spend({ accountId, amount: 100 }))
      const request = await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))
      expect(request).toMatchObject({ amount: 500, balanceAtOpen: 50 })
      await run((l) => l.topUp({ accountId, amount: 400 }))
      const { entry } = await run((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_2" }))
      expect(entry).toMatchObject({ decision: "Applied", amount: 500, balanceAfter: 950 })
      expect(await run((l) => l.balance(accountId))).toBe(950)
    })

    test("completing again with the payment reference answers the first completion; another reference is refused", async () => {
      const accountId = await configured(50)
      await run((l) => l.spend({ accountId, amount: 1 }))
      const first = await run((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_3" }))
      const again = await run((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_3" }))
      expect(again).toEqual({ ...first, replayed: true })
      expect(
        await fails((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_4" })),
      ).toMatchObject({ _tag: "AutoTopUpRequestNotOpen", status: "completed", requestId: 1 })
      expect(await fails((l) => l.topUp({ accountId, amount: 500, idempotencyKey: "pi_3" }))).toMatchObject({
        _tag: "IdempotencyConflict",
      })
      expect(await run((l) => l.balance(accountId))).toBe(549)
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("failing credits nothing; the third failure in a row switches auto top-up off, with auto_top_up.disabled", async () => {
      const accountId = await configured(50)
      const start = await feed.end()
      for (let requestId = 1; requestId <= Limits.autoTopUpConsecutiveFailuresMax; requestId++) {
        await run((l) => l.spend({ accountId, amount: 1 }))
        const { request } = await run((l) => l.failAutoTopUp({ accountId, requestId, reason: "card_declined" }))
        expect(request).toMatchObject({ status: "failed", failureReason: "card_declined" })
      }
      expect(await run((l) => l.balance(accountId))).toBe(50 - Limits.autoTopUpConsecutiveFailuresMax)
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({
        enabled: false,
        consecutiveFailures: Limits.autoTopUpConsecutiveFailuresMax,
        openRequestId: null,
      })
      await run((l) => l.spend({ accountId, amount: 1 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
      const events = await feed.eventsOf(accountId, start, 7)
      expect(events.map((e) => e.type)).toEqual([
        "auto_top_up.requested",
        "auto_top_up.failed",
        "auto_top_up.requested",
        "auto_top_up.failed",
        "auto_top_up.requested",
        "auto_top_up.failed",
        "auto_top_up.disabled",
      ])
      expect(events[6]).toMatchObject({
        data: { reason: "ConsecutiveFailures", consecutiveFailures: 3, settings: { enabled: false } },
      })
      // Setting it again switches it back on, counting from zero.
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      await run((l) => l.spend({ accountId, amount: 1 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({
        enabled: true,
        consecutiveFailures: 0,
        openRequestId: 4,
      })
    })

    test("a completion resets the count of failures", async () => {
      const accountId = await configured(50)
      await run((l) => l.spend({ accountId, amount: 1 }))
      await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "insufficient_funds" }))
      await run((l) => l.spend({ accountId, amount: 1 }))
      await run((l) => l.completeAutoTopUp({ accountId, requestId: 2, paymentReference: "pi_5" }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ consecutiveFailures: 0, enabled: true })
    })

    test("failing a failed request again answers it as it stands and tells nothing new", async () => {
      const accountId = await configured(50)
      await run((l) => l.spend({ accountId, amount: 1 }))
      const first = await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }))
      const again = await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }))
      expect(again).toEqual({ ...first, replayed: true })
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ consecutiveFailures: 1 })
    })

    test("a request nobody resolves expires after its time; completing it then is refused", async () => {
      const accountId = await configured(50)
      const beforeSpend = await feed.end()
      await run((l) => l.spend({ accountId, amount: 1 }))
      // The spend's own event (auto_top_up.requested) may become visible after the spend is answered,
      // once older transactions on a shared server end: wait for it, so it is not read as the expiry's.
      await feed.eventsOf(accountId, beforeSpend, 1)
      const start = await feed.end()
      clock.advance(Limits.autoTopUpRequestExpiryMs)
      const { expired } = await run((l) => l.expireAutoTopUps)
      expect(expired).toBeGreaterThanOrEqual(1)
      expect(await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))).toMatchObject({ status: "expired" })
      expect(
        await fails((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_6" })),
      ).toMatchObject({ _tag: "AutoTopUpRequestNotOpen", status: "expired" })
      // An expiry is not a failure, and the next debit below the threshold opens a new request.
      await run((l) => l.spend({ accountId, amount: 1 }))
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ consecutiveFailures: 0, openRequestId: 2 })
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events.map((e) => e.type)).toEqual(["auto_top_up.expired", "auto_top_up.requested"])
    })

    test("completing or failing past the deadline is refused and expires the request in the same write", async () => {
      const accountId = await configured(50)
      await run((l) => l.spend({ accountId, amount: 1 }))
      clock.advance(Limits.autoTopUpRequestExpiryMs)
      expect(
        await fails((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_7" })),
      ).toMatchObject({ _tag: "AutoTopUpRequestExpired", requestId: 1 })
      expect(await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))).toMatchObject({ status: "expired" })
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: null })
      // The refusal is the payment reference's outcome: a retry answers it again.
      expect(
        await fails((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_7" })),
      ).toMatchObject({ _tag: "AutoTopUpRequestExpired" })
      expect(await run((l) => l.balance(accountId))).toBe(49)
    })

    test("complete, fail and expire racing each other resolve the request once", async () => {
      const accountId = await configured(50)
      await run((l) => l.spend({ accountId, amount: 1 }))
      const outcomes = await run((l) =>
        Effect.all(
          [
            Effect.result(l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_race" })),
            Effect.result(l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" })),
            Effect.result(l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_race_2" })),
            Effect.result(l.failAutoTopUp({ accountId, requestId: 1, reason: "expired_card" })),
            Effect.result(l.expireAutoTopUps),
          ],
          { concurrency: "unbounded" },
        ),
      )
      const resolutions = outcomes
        .slice(0, 4)
        .filter((o) => o._tag === "Success" && "replayed" in o.success && !o.success.replayed)
      expect(resolutions).toHaveLength(1)
      const request = await run((l) => l.getAutoTopUpRequest({ accountId, requestId: 1 }))
      expect(["completed", "failed"]).toContain(request.status)
      expect(await run((l) => l.balance(accountId))).toBe(request.status === "completed" ? 549 : 49)
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("64 concurrent spends crossing the threshold open exactly one request", async () => {
      const accountId = await configured(1000)
      const start = await feed.end()
      await run((l) =>
        Effect.all(
          Array.from({ length: 64 }, () => Effect.result(l.spend({ accountId, amount: 20 }))),
          { concurrency: "unbounded" },
        ),
      )
      expect(await run((l) => l.balance(accountId))).toBe(0)
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 1 })
      expect(await fails((l) => l.getAutoTopUpRequest({ accountId, requestId: 2 }))).toMatchObject({
        _tag: "AutoTopUpRequestNotFound",
      })
      const events = await feed.eventsOf(accountId, start, 2)
      expect(events.map((e) => e.type)).toEqual(["balance.low", "auto_top_up.requested"])
    })

    test("a request that does not exist is not found", async () => {
      const accountId = await configured(50)
      for (const error of [
        await fails((l) => l.getAutoTopUpRequest({ accountId, requestId: 9 })),
        await fails((l) => l.completeAutoTopUp({ accountId, requestId: 9, paymentReference: "pi_8" })),
        await fails((l) => l.failAutoTopUp({ accountId, requestId: 9, reason: "card_declined" })),
      ]) {
        expect(error).toMatchObject({ _tag: "AutoTopUpRequestNotFound", accountId, requestId: 9 })
      }
    })

    test("settings are validated: a ceiling below the threshold, a negative threshold, a zero amount", async () => {
      const accountId = newAccount()
      expect(
        await fails((l) => l.configureAutoTopUp({ accountId, threshold: 500, amount: 100, ceiling: 400 })),
      ).toMatchObject({ _tag: "AutoTopUpCeilingBelowThreshold", threshold: 500, ceiling: 400 })
      for (const settings of [
        { threshold: -1, amount: 500 },
        { threshold: 100, amount: 0 },
        { threshold: 1.5, amount: 500 },
      ]) {
        expect(await fails((l) => l.configureAutoTopUp({ accountId, ...settings }))).toMatchObject({
          _tag: "InvalidRequest",
        })
      }
      expect(await fails((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "" }))).toMatchObject({
        _tag: "InvalidRequest",
      })
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ enabled: false, threshold: null, amount: null })
    })
  })
