import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { amount, applySpend, balance, type OverdraftLimit, overdraftLimit } from "../src/index.ts"
import { Arbitraries } from "../src/testing/index.ts"

const noOverdraft = { overdraftLimit: overdraftLimit(0), mode: "exact" } as const

describe("a spend", () => {
  test("takes the amount off the balance", () => {
    expect(applySpend(balance(500), amount(200), noOverdraft)).toEqual({
      _tag: "Applied",
      balanceBefore: 500,
      balanceAfter: 300,
      requested: -200,
      applied: -200,
    })
  })

  test("is rejected for insufficient credits when it would go below zero", () => {
    expect(applySpend(balance(100), amount(101), noOverdraft)).toEqual({
      _tag: "Rejected",
      reason: "InsufficientCredits",
      limit: 0,
      balanceBefore: 100,
      balanceAfter: 100,
      requested: -101,
      applied: 0,
    })
  })

  test("may go into an overdraft down to its limit", () => {
    const policy = { overdraftLimit: overdraftLimit(50), mode: "exact" } as const
    expect(applySpend(balance(100), amount(150), policy)).toMatchObject({ _tag: "Applied", balanceAfter: -50 })
    expect(applySpend(balance(100), amount(151), policy)).toMatchObject({ _tag: "Rejected", limit: -50 })
  })

  test("that takes what is available is clamped to the floor", () => {
    expect(applySpend(balance(100), amount(250), { overdraftLimit: overdraftLimit(0), mode: "available" })).toEqual({
      _tag: "Clamped",
      limit: 0,
      balanceBefore: 100,
      balanceAfter: 0,
      requested: -250,
      applied: -100,
    })
  })

  test("that takes what is available is rejected when nothing is available", () => {
    expect(applySpend(balance(0), amount(1), { overdraftLimit: overdraftLimit(0), mode: "available" })._tag).toBe(
      "Rejected",
    )
  })
})

const policyAndBalance = Arbitraries.overdraftLimit.chain((limit: OverdraftLimit) =>
  fc.record({
    policy: fc.record({ overdraftLimit: fc.constant(limit), mode: Arbitraries.spendMode }),
    balance: Arbitraries.balance(limit),
  }),
)

describe("spend properties", () => {
  test.prop([policyAndBalance, Arbitraries.amount])(
    "the balance after is the balance before plus the (negative) applied amount",
    ({ policy, balance }, a) => {
      const d = applySpend(balance, a, policy)
      expect(d.balanceAfter).toBe(d.balanceBefore + d.applied)
      expect(d.applied).toBeLessThanOrEqual(0)
      expect(d.applied).toBeGreaterThanOrEqual(d.requested)
    },
  )

  test.prop([policyAndBalance, Arbitraries.amount])("never crosses the floor", ({ policy, balance }, a) => {
    expect(applySpend(balance, a, policy).balanceAfter).toBeGreaterThanOrEqual(-policy.overdraftLimit)
  })

  test.prop([policyAndBalance, Arbitraries.amount])(
    "an exact spend is rejected exactly when it would cross the floor",
    ({ policy, balance }, a) => {
      const d = applySpend(balance, a, { ...policy, mode: "exact" })
      expect(d._tag === "Rejected").toBe(BigInt(balance) - BigInt(a) < -BigInt(policy.overdraftLimit))
      expect(d._tag).not.toBe("Clamped")
    },
  )
})
