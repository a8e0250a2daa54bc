import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { applySpend, applyTopUp, type Balance, type Decision, overdraftLimit } from "../src/index.ts"
import { Arbitraries } from "../src/testing/index.ts"

const fold = (operations: ReadonlyArray<Arbitraries.Operation>, limit: number) => {
  const policy = { overdraftLimit: overdraftLimit(limit) }
  const decisions: Array<Decision> = []
  let balance = 0 as Balance
  for (const op of operations) {
    const d =
      op._tag === "TopUp"
        ? applyTopUp(balance, op.amount, op.ceiling)
        : applySpend(balance, op.amount, { ...policy, mode: op.mode })
    decisions.push(d)
    balance = d.balanceAfter
  }
  return { balance, decisions }
}

describe("a sequence of operations from a new account", () => {
  test.prop([Arbitraries.operations(), fc.integer({ min: 0, max: 1_000 })])(
    "ends on the sum of the amounts applied, never below the floor",
    (operations, limit) => {
      const { balance, decisions } = fold(operations, limit)
      expect(balance).toBe(decisions.reduce((sum, d) => sum + d.applied, 0))
      for (const d of decisions) expect(d.balanceAfter).toBeGreaterThanOrEqual(-limit)
    },
  )

  test.prop([Arbitraries.operations()])(
    "chains each decision's balance before onto the previous balance after",
    (operations) => {
      const { decisions } = fold(operations, 0)
      decisions.reduce((previous, d) => {
        expect(d.balanceBefore).toBe(previous)
        return d.balanceAfter
      }, 0)
    },
  )
})
