import { type AccountState, floorOf } from "../AccountState.ts"
import { debitPastFloor } from "../corrections/Debit.ts"
import { type Applied, applied } from "../Decision.ts"
import { type BalanceLimitExceeded, InsufficientCredits } from "../LedgerError.ts"
import { type Hold, remainingOf } from "./Hold.ts"

export interface CaptureTerms {
  /** Absent: what the hold still reserves. */
  readonly amount: number | undefined
  readonly final: boolean
  readonly allowDebt: boolean
}

export interface Captured {
  readonly decision: Applied
  /** The hold after the capture. */
  readonly captured: number
  readonly excess: number
  readonly resolves: boolean
  readonly heldAfter: number
  readonly overdrawn: boolean
}

/**
 * Decides a capture of an open hold. Within the reservation it always succeeds: those credits were
 * set aside for it. A final capture releases what it leaves. Beyond the reservation the whole hold
 * is used and the excess comes from the available balance; when that is not enough the capture
 * fails whole, unless debt is allowed (the cost was already incurred), which is recorded.
 */
export const captureHold = (
  state: AccountState,
  hold: Hold,
  terms: CaptureTerms,
): Captured | InsufficientCredits | BalanceLimitExceeded => {
  const remaining = remainingOf(hold)
  const amount = terms.amount ?? remaining
  if (amount <= remaining) {
    const released = terms.final ? remaining - amount : 0
    const heldAfter = state.held - amount - released
    // Reserved credits need no floor check; only an account already deep in debt meets a bound here.
    const debit = debitPastFloor(state, amount, heldAfter)
    if (!("decision" in debit)) return debit
    const resolves = terms.final || amount === remaining
    return {
      decision: debit.decision,
      captured: hold.captured + amount,
      excess: 0,
      resolves,
      heldAfter,
      overdrawn: false,
    }
  }
  const heldAfter = state.held - remaining
  const base = { captured: hold.amount, excess: amount - remaining, resolves: true, heldAfter }
  // The excess is a spend on what the account has besides this hold.
  const lowest = heldAfter - state.overdraftLimit
  if (amount <= state.balance - lowest) return { ...base, decision: applied(state.balance, -amount), overdrawn: false }
  if (!terms.allowDebt) {
    // What the account holds now, this hold included: the error reports the account as it stands.
    return new InsufficientCredits({ balance: state.balance, amount, floor: floorOf(state), held: state.held })
  }
  const debit = debitPastFloor(state, amount, heldAfter)
  return "decision" in debit ? { ...base, ...debit } : debit
}
