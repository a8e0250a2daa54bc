import { type AccountState, floorOf } from "../AccountState.ts"
import type { Amount } from "../Credits.ts"
import { InsufficientCredits, rejectionError } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { applySpend, type SpendMode } from "../Spend.ts"

/**
 * Decides a hold of `amount`. A hold acts on the available balance exactly as a spend would (the
 * same floor, the same `available` mode), but moves nothing: it reserves. What open holds reserve
 * together stays within `Limits.balanceMax`, so it is exact; past that there is nothing to reserve.
 */
export const placeHold = (
  state: AccountState,
  amount: Amount,
  mode: SpendMode,
): { readonly reserved: number; readonly clamped: boolean } | InsufficientCredits => {
  const decision = applySpend(state.balance, amount, { overdraftLimit: state.overdraftLimit, mode, held: state.held })
  if (decision._tag === "Rejected") return rejectionError(decision, state.held) as InsufficientCredits
  const reserved = -decision.applied
  if (reserved > Limits.balanceMax - state.held) {
    const { balance, held } = state
    return new InsufficientCredits({ balance, amount, floor: floorOf(state), held })
  }
  return { reserved, clamped: decision._tag === "Clamped" }
}
