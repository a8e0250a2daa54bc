import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { amount, applyTopUp, balance, ceiling, Limits } from "../src/index.ts"
import { Arbitraries } from "../src/testing/index.ts"

describe("a top-up with a ceiling (the origin's scenarios)", () => {
  test("rejects when the balance is already above the ceiling", () => {
    const decision = applyTopUp(balance(1000), amount(200), ceiling(800))
    expect(decision).toEqual({
      _tag: "Rejected",
      reason: "AtCeiling",
      limit: 800,
      balanceBefore: 1000,
      balanceAfter: 1000,
      requested: 200,
      applied: 0,
    })
  })

  test("clamps to the ceiling when it would exceed it", () => {
    const decision = applyTopUp(balance(500), amount(800), ceiling(1000))
    expect(decision).toEqual({
      _tag: "Clamped",
      limit: 1000,
      balanceBefore: 500,
      balanceAfter: 1000,
      requested: 800,
      applied: 500,
    })
  })

  test("applies in full when it stays under the ceiling", () => {
    const decision = applyTopUp(balance(300), amount(200), ceiling(1000))
    expect(decision).toEqual({ _tag: "Applied", balanceBefore: 300, balanceAfter: 500, requested: 200, applied: 200 })
  })

  test("rejects when the balance equals the ceiling", () => {
    expect(applyTopUp(balance(1000), amount(1), ceiling(1000))._tag).toBe("Rejected")
  })

  test("applies when it lands exactly on the ceiling", () => {
    expect(applyTopUp(balance(400), amount(600), ceiling(1000))._tag).toBe("Applied")
  })
})

describe("a top-up without a ceiling", () => {
  test("applies in full", () => {
    expect(applyTopUp(balance(0), amount(Limits.balanceMax))).toMatchObject({
      _tag: "Applied",
      balanceAfter: Limits.balanceMax,
    })
  })

  test("rejects rather than pass the largest balance", () => {
    expect(applyTopUp(balance(Limits.balanceMax), amount(1))).toMatchObject({
      _tag: "Rejected",
      reason: "BalanceLimit",
      limit: Limits.balanceMax,
      balanceAfter: Limits.balanceMax,
    })
  })
})

const anyBalance = Arbitraries.balance(Limits.overdraftLimitMax)
const maybeCeiling = fc.option(Arbitraries.ceiling, { nil: undefined })

describe("top-up properties", () => {
  test.prop([anyBalance, Arbitraries.amount, maybeCeiling])(
    "the balance after is the balance before plus what was applied",
    (b, a, c) => {
      const d = applyTopUp(b, a, c)
      expect(d.balanceAfter).toBe(d.balanceBefore + d.applied)
      expect(d.balanceBefore).toBe(b)
      expect(d.requested).toBe(a)
    },
  )

  test.prop([anyBalance, Arbitraries.amount, maybeCeiling])(
    "never applies more than requested, nor less than nothing",
    (b, a, c) => {
      const d = applyTopUp(b, a, c)
      expect(d.applied).toBeGreaterThanOrEqual(0)
      expect(d.applied).toBeLessThanOrEqual(d.requested)
      expect(Number.isSafeInteger(d.balanceAfter)).toBe(true)
      expect(d.balanceAfter).toBeLessThanOrEqual(Limits.balanceMax)
    },
  )

  test.prop([anyBalance, Arbitraries.amount, Arbitraries.ceiling])(
    "rejects exactly when the balance is at or above the ceiling",
    (b, a, c) => {
      const d = applyTopUp(b, a, c)
      expect(d._tag === "Rejected").toBe(b >= c)
      if (d._tag === "Rejected") expect(d).toMatchObject({ reason: "AtCeiling", limit: c, applied: 0 })
    },
  )

  test.prop([anyBalance, Arbitraries.amount])(
    "without a ceiling, rejects exactly when the sum would pass the largest balance",
    (b, a) => {
      const d = applyTopUp(b, a)
      expect(d._tag === "Rejected").toBe(BigInt(b) + BigInt(a) > BigInt(Limits.balanceMax))
      expect(d._tag).not.toBe("Clamped")
    },
  )

  test.prop([anyBalance, Arbitraries.amount, Arbitraries.ceiling])(
    "never raises the balance above the larger of where it was and the ceiling",
    (b, a, c) => {
      expect(applyTopUp(b, a, c).balanceAfter).toBeLessThanOrEqual(Math.max(b, c))
    },
  )

  test.prop([anyBalance, Arbitraries.amount, Arbitraries.ceiling])(
    "applies in full exactly when the sum stays within the ceiling",
    (b, a, c) => {
      const d = applyTopUp(b, a, c)
      expect(d._tag === "Applied").toBe(BigInt(b) + BigInt(a) <= BigInt(c))
      if (d._tag === "Clamped") expect(d).toMatchObject({ balanceAfter: c, limit: c })
    },
  )

  test.prop([anyBalance, Arbitraries.amount, Arbitraries.amount, Arbitraries.ceiling])(
    "a second top-up once clamped to the ceiling is rejected",
    (b, first, second, c) => {
      const d = applyTopUp(b, first, c)
      fc.pre(d._tag === "Clamped")
      expect(applyTopUp(d.balanceAfter, second, c)).toMatchObject({ _tag: "Rejected", reason: "AtCeiling" })
    },
  )
})
