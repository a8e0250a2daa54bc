import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AutoTopUpSettings,
  type AutoTopUpState,
  accountId,
  afterDebit,
  amount,
  type Balance,
  balance,
  crossesBelowThreshold,
  Limits,
  noAutoTopUp,
  openAutoTopUp,
  threshold,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const account = accountId("acct_1")
const nowMs = Date.UTC(2025, 2, 14, 12)
const configured = (settings: AutoTopUpSettings): AutoTopUpState => ({ ...noAutoTopUp, settings })
const available = fc.integer({ min: -2_000, max: 8_000 }) as fc.Arbitrary<Balance>
/** What a write leaves on an account with nothing held: the available balance is the balance. */
const unheld = (credits: number) => ({ available: balance(credits), balance: balance(credits) })
/** What a write leaves: an available balance, and a balance above it by what holds reserve. */
const creditsAfter = fc
  .tuple(available, fc.integer({ min: 0, max: 3_000 }))
  .map(([a, held]) => ({ available: a, balance: (a + held) as Balance }))

describe("opening an auto top-up request (the origin's settings: threshold 100, amount 500)", () => {
  const origin = configured({ enabled: true, threshold: threshold(100), amount: amount(500), ceiling: null })

  test("a spend that leaves the balance below the threshold asks for the configured amount", () => {
    const opening = openAutoTopUp(account, origin, unheld(10), nowMs)
    expect(opening).toMatchObject({
      _tag: "Opened",
      request: { requestId: 1, status: "open", amount: 500, amountConfigured: 500, availableAtOpen: 10 },
      state: { lastRequestId: 1, openRequestId: 1 },
    })
  })

  test("a balance at the threshold is not below it", () => {
    expect(openAutoTopUp(account, origin, unheld(100), nowMs)).toEqual({
      _tag: "NotOpened",
      reason: "AtOrAboveThreshold",
    })
  })

  test("a second debit while a request is open opens none", () => {
    const first = openAutoTopUp(account, origin, unheld(10), nowMs)
    if (first._tag !== "Opened") throw new Error("expected a request")
    expect(openAutoTopUp(account, first.state, unheld(5), nowMs)).toEqual({
      _tag: "NotOpened",
      reason: "RequestAlreadyOpen",
    })
  })

  test("the amount is clamped so the balance lands on the ceiling", () => {
    const capped = configured({ enabled: true, threshold: threshold(100), amount: amount(500), ceiling: 300 as never })
    expect(openAutoTopUp(account, capped, unheld(40), nowMs)).toMatchObject({
      _tag: "Opened",
      request: { amount: 260, amountConfigured: 500, ceiling: 300, availableAtOpen: 40, balanceAtOpen: 40 },
    })
  })

  test("held credits count against the threshold, but the ceiling caps the balance", () => {
    const capped = configured({ enabled: true, threshold: threshold(100), amount: amount(500), ceiling: 300 as never })
    // 250 in the balance, 200 of them held: 50 available, below the threshold; room for 50 under the ceiling.
    const opening = openAutoTopUp(account, capped, { available: balance(50), balance: balance(250) }, nowMs)
    expect(opening).toMatchObject({ _tag: "Opened", request: { amount: 50, availableAtOpen: 50, balanceAtOpen: 250 } })
  })

  test("a balance already at the ceiling opens nothing, even with little available", () => {
    const capped = configured({ enabled: true, threshold: threshold(100), amount: amount(500), ceiling: 300 as never })
    expect(openAutoTopUp(account, capped, { available: balance(20), balance: balance(300) }, nowMs)).toEqual({
      _tag: "NotOpened",
      reason: "AtOrAboveCeiling",
    })
  })

  test("a disabled or unconfigured auto top-up opens nothing", () => {
    expect(openAutoTopUp(account, noAutoTopUp, unheld(-50), nowMs)).toMatchObject({ reason: "NotConfigured" })
    const off = configured({ enabled: false, threshold: threshold(100), amount: amount(500), ceiling: null })
    expect(openAutoTopUp(account, off, unheld(0), nowMs)).toMatchObject({ reason: "Disabled" })
  })

  test("the request expires a named time after it opens", () => {
    const opening = openAutoTopUp(account, origin, unheld(0), nowMs)
    expect(opening).toMatchObject({
      request: {
        openedAt: new Date(nowMs).toISOString(),
        expiresAt: new Date(nowMs + Limits.autoTopUpRequestExpiryMs).toISOString(),
      },
    })
  })
})

describe("opening properties", () => {
  test.prop([Arbitraries.autoTopUpSettings(), creditsAfter])(
    "opens exactly when enabled, the available balance below the threshold and the balance below the ceiling",
    (settings, after) => {
      const opening = openAutoTopUp(account, configured(settings), after, nowMs)
      const expected =
        settings.enabled && after.available < settings.threshold && after.balance < (settings.ceiling ?? Infinity)
      expect(opening._tag === "Opened").toBe(expected)
    },
  )

  test.prop([Arbitraries.autoTopUpSettings(), creditsAfter])(
    "asks for the configured amount, clamped so balance + amount never passes the ceiling",
    (settings, after) => {
      const opening = openAutoTopUp(account, configured(settings), after, nowMs)
      if (opening._tag !== "Opened") return
      const { amount } = opening.request
      expect(amount).toBeGreaterThan(0)
      expect(amount).toBeLessThanOrEqual(settings.amount)
      if (settings.ceiling !== null) expect(after.balance + amount).toBeLessThanOrEqual(settings.ceiling)
      const room = (settings.ceiling ?? Infinity) - after.balance
      expect(amount).toBe(Math.min(settings.amount, room))
      expect(opening.request).toMatchObject({ availableAtOpen: after.available, balanceAtOpen: after.balance })
    },
  )

  test.prop([Arbitraries.autoTopUpSettings(), fc.array(creditsAfter, { minLength: 1, maxLength: 30 })])(
    "any run of debits with no resolution opens at most one request",
    (settings, afters) => {
      let state = configured({ ...settings, enabled: true })
      let opened = 0
      for (const after of afters) {
        const opening = openAutoTopUp(account, state, after, nowMs)
        if (opening._tag === "Opened") {
          opened++
          state = opening.state
        }
      }
      expect(opened).toBeLessThanOrEqual(1)
    },
  )

  test.prop([fc.integer({ min: 0, max: Limits.balanceMax }), Arbitraries.amount])(
    "without a ceiling, a request never asks for more than the largest balance holds",
    (t, a) => {
      const state = configured({ enabled: true, threshold: t as never, amount: a, ceiling: null })
      const opening = openAutoTopUp(account, state, unheld(Math.max(0, t - 1)), nowMs)
      if (opening._tag === "Opened") {
        expect(opening.request.balanceAtOpen + opening.request.amount).toBeLessThanOrEqual(Limits.balanceMax)
      }
    },
  )
})

describe("balance.low", () => {
  test.prop([fc.integer({ min: 0, max: 5_000 }), available, available])(
    "fires on the write that crosses below the threshold, not on writes that stay below",
    (t, before, after) => {
      expect(crossesBelowThreshold(t, before, after)).toBe(before >= t && after < t)
    },
  )

  test("a debit crossing the threshold writes balance.low then auto_top_up.requested", () => {
    const state = configured({ enabled: true, threshold: threshold(100), amount: amount(500), ceiling: null })
    const result = afterDebit(
      account,
      state,
      {
        availableBefore: balance(150),
        availableAfter: balance(80),
        balanceAfter: balance(80),
        entrySequence: 4,
        holdId: null,
      },
      nowMs,
    )
    expect(result.events.map((e) => e.type)).toEqual(["balance.low", "auto_top_up.requested"])
    expect(result.events[0]).toMatchObject({
      data: { threshold: 100, availableBefore: 150, availableAfter: 80, entrySequence: 4, holdId: null },
    })
    expect(result.request).toMatchObject({ requestId: 1, amount: 500 })
  })

  test("a disabled auto top-up still tells of the crossing, and opens nothing", () => {
    const state = configured({ enabled: false, threshold: threshold(100), amount: amount(500), ceiling: null })
    const result = afterDebit(
      account,
      state,
      {
        availableBefore: balance(150),
        availableAfter: balance(80),
        balanceAfter: balance(80),
        entrySequence: 4,
        holdId: null,
      },
      nowMs,
    )
    expect(result.events.map((e) => e.type)).toEqual(["balance.low"])
    expect(result.request).toBeUndefined()
    expect(result.state).toBe(state)
  })
})
