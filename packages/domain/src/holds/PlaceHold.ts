import type { AccountState } from "../AccountState.ts"
import type { Amount } from "../Credits.ts"
import { type InsufficientCredits, rejectionError } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { applySpend, type SpendMode } from "../Spend.ts"
import { HeldLimitExceeded } from "./HoldError.ts"

/**
 * Decides a hold of `amount`. A hold acts on the available balance exactly as a spend would (the
 * same floor, the same `available` mode), but moves nothing: it reserves. What open holds reserve
 * together stays within `Limits.balanceMax`, so it is exact: a hold past it is refused with
 * `HeldLimitExceeded`, though the credits are there (a spend of the same amount may succeed).
 */
export const placeHold = (
  state: AccountState,
  amount: Amount,
  mode: SpendMode,
): { readonly reserved: number; readonly clamped: boolean } | InsufficientCredits | HeldLimitExceeded => {
  const decision = applySpend(state.balance, amount, { overdraftLimit: state.overdraftLimit, mode, held: state.held })
  if (decision._tag === "Rejected") return rejectionError(decision, state.held) as InsufficientCredits
  const reserved = -decision.applied
  if (reserved > Limits.balanceMax - state.held) {
    return new HeldLimitExceeded({ held: state.held, amount, heldMax: Limits.balanceMax })
  }
  return { reserved, clamped: decision._tag === "Clamped" }
}
