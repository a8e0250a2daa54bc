import type { AccountState } from "../AccountState.ts"
import type { Applied } from "../Decision.ts"
import type { BalanceLimitExceeded } from "../LedgerError.ts"
import type { RefundTarget } from "../Posting.ts"
import { EntryNotFound, EntryNotRefundable, RefundExceedsEntry } from "./CorrectionError.ts"
import { debitPastFloor } from "./Debit.ts"

/**
 * Decides a refund of `amount` (absent: all that is left) of the entry `sequence`. Only an entry
 * that added credits can be refunded, and only up to what earlier refunds of it left. The floor
 * does not apply: the money already went back to the customer.
 */
export const refundEntry = (
  state: AccountState,
  accountId: string,
  sequence: number,
  target: RefundTarget | undefined,
  amount: number | undefined,
):
  | { readonly decision: Applied; readonly overdrawn: boolean }
  | EntryNotFound
  | EntryNotRefundable
  | RefundExceedsEntry
  | BalanceLimitExceeded => {
  if (target === undefined) return new EntryNotFound({ accountId, sequence })
  if (target.entry.amount <= 0) return new EntryNotRefundable({ accountId, sequence, kind: target.entry.kind })
  const refundable = target.entry.amount - target.refunded
  const refund = amount ?? refundable
  if (refund > refundable || refund === 0) {
    return new RefundExceedsEntry({ accountId, sequence, amount: refund, refundable })
  }
  return debitPastFloor(state, refund, state.held)
}
