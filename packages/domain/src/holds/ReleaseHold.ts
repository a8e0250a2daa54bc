import type { AccountState } from "../AccountState.ts"
import { chargeMember, holdCounts } from "../wallets/MemberSpending.ts"
import { type Hold, isPastDeadline, remainingOf } from "./Hold.ts"

/**
 * Resolves an open hold without capturing: what it still reserves returns to the available
 * balance. Past its deadline it resolves as `expired`, whoever comes first (the caller's release, a
 * capture that came too late, or the expiry sweep): the status depends on the time, never on which
 * of them won a race. A member's counted reservation is given back to its limit.
 */
export const releaseHold = (
  state: AccountState,
  hold: Hold,
  nowMs: number,
  resolvedAt: string,
): { readonly hold: Hold; readonly state: AccountState } => ({
  hold: { ...hold, status: isPastDeadline(hold, nowMs) ? "expired" : "released", resolvedAt },
  state: {
    ...state,
    held: state.held - remainingOf(hold),
    members: holdCounts(state.members, hold)
      ? chargeMember(state.members, hold.member, { spent: 0, held: -remainingOf(hold) }, nowMs)
      : state.members,
  },
})
