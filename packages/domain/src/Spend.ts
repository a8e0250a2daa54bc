import { Schema } from "effect"
import type { Amount, Balance, OverdraftLimit } from "./Credits.ts"
import { applied, clamped, type Decision, rejected } from "./Decision.ts"

/**
 * `exact` spends the whole amount or nothing; `available` takes what the floor allows, like a
 * balancing transfer.
 */
export const SpendMode = Schema.Literals(["exact", "available"])
export type SpendMode = typeof SpendMode.Type

export interface SpendPolicy {
  readonly overdraftLimit: OverdraftLimit
  readonly mode: SpendMode
}

export const exactSpend: SpendPolicy = { overdraftLimit: 0 as OverdraftLimit, mode: "exact" }

/**
 * Decides a spend of `amount` on `balance`. The account's floor is `-overdraftLimit`; a spend that
 * would cross it is Rejected with InsufficientCredits, or Clamped to the floor in `available` mode
 * when anything is left above it. The decision's amounts are negative: credits leave the account.
 */
export const applySpend = (balance: Balance, amount: Amount, policy: SpendPolicy): Decision => {
  const floor = 0 - policy.overdraftLimit // never -0
  // May round when above Limits.amountMax, which only ever makes it compare as "enough".
  const available = balance - floor
  if (amount <= available) return applied(balance, -amount)
  if (policy.mode === "available" && available > 0) return clamped(balance, -amount, floor)
  return rejected(balance, -amount, "InsufficientCredits", floor)
}
