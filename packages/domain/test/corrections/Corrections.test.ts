import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AccountState,
  adjustBalance,
  type Entry,
  floorOf,
  noLinks,
  type RefundTarget,
  refundEntry,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const big = BigInt
const smallestBalance = -big(Number.MAX_SAFE_INTEGER)
// A debit past the floor may take neither the balance nor the available balance past the smallest exact value.
const pastSmallest = (state: AccountState, amount: number) => {
  const balanceAfter = big(state.balance) - big(amount)
  return balanceAfter < smallestBalance || balanceAfter - big(state.held) < smallestBalance
}

const credit = (amount: number): Entry => ({
  accountId: "a" as Entry["accountId"],
  sequence: 1,
  kind: "top-up",
  decision: "Applied",
  requested: amount,
  amount,
  balanceAfter: amount as Entry["balanceAfter"],
  idempotencyKey: null,
  ...noLinks,
  metadata: {},
  createdAt: "2026-01-01T00:00:00.000Z",
})

describe("a refund", () => {
  test.prop([
    Arbitraries.accountState,
    fc.integer({ min: 1, max: 10_000 }),
    fc.array(fc.option(fc.integer({ min: 1, max: 4_000 })), { maxLength: 12 }),
  ])("of one entry never sums past it, whatever amounts are asked, and ignores the floor", (start, credited, asks) => {
    let state: AccountState = start
    let target: RefundTarget = { entry: credit(credited), refunded: 0 }
    for (const ask of asks) {
      const refundable = target.entry.amount - target.refunded
      const decided = refundEntry(state, "a", 1, target, ask ?? undefined)
      const wanted = ask ?? refundable
      if (!("decision" in decided)) {
        if (decided._tag === "RefundExceedsEntry") expect(wanted > refundable || wanted === 0).toBe(true)
        else expect(decided._tag === "BalanceLimitExceeded" && pastSmallest(state, wanted)).toBe(true)
        continue
      }
      expect(wanted).toBeLessThanOrEqual(refundable)
      expect(decided.decision.applied).toBe(-wanted)
      expect(decided.overdrawn).toBe(decided.decision.balanceAfter - state.held < floorOf(state))
      state = { ...state, balance: decided.decision.balanceAfter }
      target = { ...target, refunded: target.refunded + wanted }
    }
    expect(target.refunded).toBeLessThanOrEqual(credited)
  })

  test.prop([Arbitraries.accountState, fc.integer({ min: -10_000, max: 0 })])(
    "of an entry that added no credits is refused",
    (state, amount) => {
      const entry = { ...credit(1), amount, kind: "usage" as const }
      expect(refundEntry(state, "a", 1, { entry, refunded: 0 }, undefined)).toMatchObject({
        _tag: "EntryNotRefundable",
      })
      expect(refundEntry(state, "a", 1, undefined, undefined)).toMatchObject({ _tag: "EntryNotFound" })
    },
  )
})

describe("an adjustment", () => {
  test.prop([Arbitraries.accountState, fc.integer({ min: 1, max: 1_000_000 }), fc.boolean()])(
    "adding credits applies in full, forced or not",
    (state, amount, force) => {
      const decided = adjustBalance(state, amount, force)
      if (!("decision" in decided)) {
        expect(decided._tag).toBe("BalanceLimitExceeded")
        expect(big(state.balance) + big(amount) > big(Number.MAX_SAFE_INTEGER)).toBe(true)
        return
      }
      expect(decided.decision.balanceAfter).toBe(state.balance + amount)
      expect(decided.overdrawn).toBe(false)
    },
  )

  test.prop([Arbitraries.accountState, fc.integer({ min: 1, max: 1_000_000 }), fc.boolean()])(
    "removing credits obeys the floor on the available balance, unless forced, and says when it overdrew",
    (state, amount, force) => {
      const decided = adjustBalance(state, -amount, force)
      const fits = big(state.balance) - big(amount) - big(state.held) >= big(floorOf(state))
      if (!("decision" in decided)) {
        expect(force ? decided._tag === "BalanceLimitExceeded" : decided._tag === "InsufficientCredits").toBe(true)
        expect(fits).toBe(false)
        return
      }
      expect(fits || force).toBe(true)
      expect(decided.decision.balanceAfter).toBe(state.balance - amount)
      expect(decided.overdrawn).toBe(!fits)
    },
  )
})
