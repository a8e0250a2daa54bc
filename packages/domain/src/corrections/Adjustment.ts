import type { AccountState } from "../AccountState.ts"
import type { Amount } from "../Credits.ts"
import type { Applied } from "../Decision.ts"
import { type BalanceLimitExceeded, type InsufficientCredits, rejectionError } from "../LedgerError.ts"
import { applySpend } from "../Spend.ts"
import { applyTopUp } from "../TopUp.ts"
import { debitPastFloor } from "./Debit.ts"

/**
 * Decides an adjustment of `amount` credits (signed). Adding follows a top-up without a ceiling;
 * removing follows an exact spend (the floor, on the available balance), unless forced past it.
 */
export const adjustBalance = (
  state: AccountState,
  amount: number,
  force: boolean,
): { readonly decision: Applied; readonly overdrawn: boolean } | InsufficientCredits | BalanceLimitExceeded => {
  if (force && amount < 0) return debitPastFloor(state, -amount, state.held)
  const decision =
    amount > 0
      ? applyTopUp(state.balance, amount as Amount)
      : applySpend(state.balance, -amount as Amount, {
          overdraftLimit: state.overdraftLimit,
          mode: "exact",
          held: state.held,
        })
  if (decision._tag === "Rejected")
    return rejectionError(decision, state.held) as InsufficientCredits | BalanceLimitExceeded
  return { decision: decision as Applied, overdrawn: false }
}
