import type { Amount, Balance, Ceiling } from "./Credits.ts"
import { applied, clamped, type Decision, rejected } from "./Decision.ts"
import { Limits } from "./Limits.ts"

/**
 * Decides a top-up of `amount` on `balance`, under an optional `ceiling`:
 * - at or above the ceiling (equal included): Rejected, nothing moves;
 * - past the ceiling: Clamped, the balance lands exactly on the ceiling;
 * - otherwise Applied in full, unless the balance would pass `Limits.balanceMax` (Rejected).
 *
 * Comparisons are written as `amount > limit - balance` so they stay exact for every safe integer:
 * the difference may round only when it exceeds `Limits.amountMax`, where no amount can reach it.
 */
export const applyTopUp = (balance: Balance, amount: Amount, ceiling?: Ceiling): Decision => {
  if (ceiling === undefined) {
    return amount > Limits.balanceMax - balance
      ? rejected(balance, amount, "BalanceLimit", Limits.balanceMax)
      : applied(balance, amount)
  }
  if (balance >= ceiling) return rejected(balance, amount, "AtCeiling", ceiling)
  return amount > ceiling - balance ? clamped(balance, amount, ceiling) : applied(balance, amount)
}
