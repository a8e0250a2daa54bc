import * as Schema from "effect/Schema"
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
  /** Credits open holds reserve: a spend may not use them. */
  readonly held?: number
}

export const exactSpend: SpendPolicy = { overdraftLimit: 0 as OverdraftLimit, mode: "exact" }

/**
 * Decides a spend of `amount` on `balance`. The account's floor is `-overdraftLimit`, and a spend acts
 * on the available balance, `balance - held`: the lowest balance it may leave is `held - overdraftLimit`.
 * A spend that would cross it is Rejected with InsufficientCredits (its `limit` is that lowest
 * balance), or Clamped to it in `available` mode when anything is left above it. The decision's
 * amounts are negative: credits leave the account.
 */
export const applySpend = (balance: Balance, amount: Amount, policy: SpendPolicy): Decision => {
  // Both terms are safe integers of at most Limits.balanceMax, so the difference is exact.
  const lowest = (policy.held ?? 0) - policy.overdraftLimit
  // May round when above Limits.amountMax, which only ever makes it compare as "enough".
  const spendable = balance - lowest
  if (amount <= spendable) return applied(balance, -amount)
  if (policy.mode === "available" && spendable > 0) return clamped(balance, -amount, lowest)
  return rejected(balance, -amount, "InsufficientCredits", lowest)
}
