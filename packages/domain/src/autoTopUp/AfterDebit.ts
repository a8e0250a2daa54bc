import type { AccountId } from "../AccountId.ts"
import type { AccountState } from "../AccountState.ts"
import type { Balance } from "../Credits.ts"
import { autoTopUpRequested, balanceLow } from "../events/AccountEvents.ts"
import type { NewLedgerEvent } from "../events/LedgerEvent.ts"
import type { Change } from "../Posting.ts"
import type { AutoTopUpRequest, AutoTopUpState } from "./AutoTopUpRequest.ts"
import { crossesBelowThreshold, openAutoTopUp } from "./RequestOpening.ts"

export interface AfterDebit {
  readonly state: AutoTopUpState
  /** The request the write opened, to store with it. */
  readonly request: AutoTopUpRequest | undefined
  readonly events: ReadonlyArray<NewLedgerEvent>
}

/** What a debit changed: the available balance before and after it, the balance after it, and what it wrote. */
export interface DebitChange {
  readonly availableBefore: Balance
  readonly availableAfter: Balance
  readonly balanceAfter: Balance
  /** The entry the debit appended (a spend, a capture), or null (a hold places none). */
  readonly entrySequence: number | null
  /** The hold the debit placed or captured, or null. */
  readonly holdId: number | null
}

/**
 * What a committed write that lowered the available balance (a spend, a hold, a capture) causes
 * besides its entry: `balance.low` when it crossed below the threshold (whether auto top-up is
 * enabled or not), and an auto top-up request when one opens. The write path calls it in the write's
 * own step, so the request and the events commit with the entry or not at all.
 */
export const afterDebit = (
  accountId: AccountId,
  state: AutoTopUpState,
  change: DebitChange,
  nowMs: number,
): AfterDebit => {
  const { settings } = state
  const { availableBefore, availableAfter, balanceAfter, entrySequence, holdId } = change
  const low =
    settings !== null && crossesBelowThreshold(settings.threshold, availableBefore, availableAfter)
      ? [
          balanceLow(accountId, new Date(nowMs).toISOString(), {
            threshold: settings.threshold,
            availableBefore,
            availableAfter,
            entrySequence,
            holdId,
          }),
        ]
      : []
  const opening = openAutoTopUp(accountId, state, { available: availableAfter, balance: balanceAfter }, nowMs)
  if (opening._tag === "NotOpened") return { state, request: undefined, events: low }
  return { state: opening.state, request: opening.request, events: [...low, autoTopUpRequested(opening.request)] }
}

/**
 * A usage write's change (a spend, a hold, a capture) with what it causes for auto top-up, when it
 * lowered the available balance of an account that configured auto top-up, at `createdAt` (the
 * write's time, ISO-8601). An account that never did costs one field read: this runs for every spend.
 */
export const withAutoTopUp = (
  accountId: AccountId,
  before: AccountState,
  change: Change | undefined,
  createdAt: string,
): Change | undefined => {
  const after = change?.state
  if (after === undefined || after.autoTopUp.settings === null) return change
  const availableBefore = (before.balance - before.held) as Balance
  const availableAfter = (after.balance - after.held) as Balance
  if (availableAfter >= availableBefore) return change
  const debit = afterDebit(
    accountId,
    after.autoTopUp,
    {
      availableBefore,
      availableAfter,
      balanceAfter: after.balance,
      entrySequence: change?.entry?.sequence ?? null,
      holdId: change?.hold?.holdId ?? null,
    },
    Date.parse(createdAt),
  )
  if (debit.events.length === 0) return change
  return {
    ...change,
    state: { ...after, autoTopUp: debit.state },
    autoTopUpRequest: debit.request,
    events: debit.events,
  }
}
