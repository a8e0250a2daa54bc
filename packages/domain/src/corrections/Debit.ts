import { type AccountState, floorOf } from "../AccountState.ts"
import { type Applied, applied } from "../Decision.ts"
import { BalanceLimitExceeded } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"

/**
 * A debit allowed past the account's floor (a refund, a capture that allows debt, a forced
 * removal): it still may not pass the smallest balance Tally holds exactly. `overdrawn` says
 * whether it leaves the available balance below the floor.
 */
export const debitPastFloor = (
  state: AccountState,
  amount: number,
  heldAfter: number,
): { readonly decision: Applied; readonly overdrawn: boolean } | BalanceLimitExceeded => {
  // balance + balanceMax may round only above Limits.amountMax, where no amount reaches it.
  if (amount > state.balance + Limits.balanceMax) {
    return new BalanceLimitExceeded({ balance: state.balance, amount, balanceMax: -Limits.balanceMax })
  }
  const decision = applied(state.balance, -amount)
  return { decision, overdrawn: decision.balanceAfter - heldAfter < floorOf(state) }
}
