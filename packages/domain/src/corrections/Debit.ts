import { type AccountState, floorOf } from "../AccountState.ts"
import { type Applied, applied } from "../Decision.ts"
import { BalanceLimitExceeded } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"

const smallest = BigInt(-Limits.balanceMax)

/**
 * A debit allowed past the account's floor (a refund, a capture that allows debt, a forced
 * removal): it still may not take the balance, nor the available balance (`balance - heldAfter`),
 * past the smallest value Tally holds exactly. `overdrawn` says whether it leaves the available
 * balance below the floor.
 */
export const debitPastFloor = (
  state: AccountState,
  amount: number,
  heldAfter: number,
): { readonly decision: Applied; readonly overdrawn: boolean } | BalanceLimitExceeded => {
  // In bigint: the balance minus what is held can pass 2^53 in size, where doubles round.
  const balanceAfter = BigInt(state.balance) - BigInt(amount)
  if (balanceAfter < smallest || balanceAfter - BigInt(heldAfter) < smallest) {
    return new BalanceLimitExceeded({ balance: state.balance, amount, balanceMax: -Limits.balanceMax, heldAfter })
  }
  const decision = applied(state.balance, -amount)
  return { decision, overdrawn: decision.balanceAfter - heldAfter < floorOf(state) }
}
