import * as fc from "fast-check"
import { describe, expect, test } from "vitest"
import { type Amount, applySpend, applyTopUp, type Balance, type Ceiling, Limits } from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

/**
 * The exported arbitraries reach the edges a stranger's rules break at: a property that compares a
 * rule with one off by one at such an edge fails within fast-check's default 100 runs, for every
 * seed tried. Seeds are fixed, so these tests fail or pass the same every time.
 */

const seeds = Array.from({ length: 20 }, (_, index) => index + 1)

/** Whether `property` finds a counterexample within fast-check's default runs, for every seed. */
const alwaysCaught = (property: fc.IProperty<never> | fc.IProperty<[unknown]>) =>
  seeds.filter((seed) => !fc.check(property as fc.IProperty<[unknown]>, { seed }).failed)

/** Applies in full only below the ceiling: a top-up that lands exactly on it is called clamped. */
const clampsAnExactFill = (balance: Balance, amount: Amount, ceiling: Ceiling) =>
  balance >= ceiling ? "Rejected" : amount >= ceiling - balance ? "Clamped" : "Applied"

/** Refuses at the ceiling only above it: a balance exactly at its ceiling is topped up. */
const acceptsAtTheCeiling = (balance: Balance, amount: Amount, ceiling: Ceiling) =>
  balance > ceiling ? "Rejected" : amount > ceiling - balance ? "Clamped" : "Applied"

describe("Arbitraries", () => {
  test("topUpCase: a ceiling rule off by one at its edges is caught with every seed", () => {
    for (const mutant of [clampsAnExactFill, acceptsAtTheCeiling]) {
      const property = fc.property(Arbitraries.topUpCase, ({ balance, amount, ceiling }) => {
        expect(mutant(balance, amount, ceiling)).toBe(applyTopUp(balance, amount, ceiling)._tag)
      })
      expect(alwaysCaught(property), mutant.name).toEqual([])
    }
  })

  test("spendCase: a spend of exactly what is spendable refused is caught with every seed", () => {
    const property = fc.property(Arbitraries.spendCase, ({ state, amount }) => {
      const policy = { overdraftLimit: state.overdraftLimit, held: state.held, mode: "exact" as const }
      const spendable = state.balance - state.held + state.overdraftLimit
      const mutant = amount < spendable ? "Applied" : "Rejected"
      expect(mutant).toBe(applySpend(state.balance, amount, policy)._tag)
    })
    expect(alwaysCaught(property)).toEqual([])
  })

  test("topUpCase: ceilings at the balance and exact fills are common, overdrawn balances occur", () => {
    const cases = fc.sample(Arbitraries.topUpCase, { numRuns: 2_000, seed: 7 })
    const share = (holds: (c: (typeof cases)[number]) => boolean) => cases.filter(holds).length / cases.length
    expect(share((c) => c.ceiling === (c.balance as number))).toBeGreaterThan(0.05)
    expect(share((c) => c.ceiling === c.balance + c.amount)).toBeGreaterThan(0.05)
    expect(share((c) => c.balance < 0)).toBeGreaterThan(0.05)
    expect(share((c) => c.amount === Limits.amountMax)).toBeGreaterThan(0.05)
  })

  test("accountState: a balance other than 0 has an entry, credits held have a hold, the floor holds", () => {
    fc.assert(
      fc.property(Arbitraries.accountState, (state) => {
        if (state.balance !== 0) expect(state.sequence).toBeGreaterThan(0)
        if (state.held > 0) expect(state.holdsPlaced).toBeGreaterThan(0)
        expect(state.balance - state.held).toBeGreaterThanOrEqual(-state.overdraftLimit)
      }),
      { numRuns: 2_000 },
    )
  })

  test("operations: sequences reach tens of operations", () => {
    const lengths = fc.sample(Arbitraries.operations(), { numRuns: 500, seed: 3 }).map((ops) => ops.length)
    expect(Math.max(...lengths)).toBeGreaterThanOrEqual(40)
  })
})
