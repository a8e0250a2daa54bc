import type { AccountId } from "../AccountId.ts"
import type { Balance } from "../Credits.ts"
import { autoTopUpRequested, balanceLow } from "../events/AccountEvents.ts"
import type { NewLedgerEvent } from "../events/LedgerEvent.ts"
import type { AutoTopUpRequest, AutoTopUpState } from "./AutoTopUpRequest.ts"
import { crossesBelowThreshold, openAutoTopUp } from "./RequestOpening.ts"

export interface AfterDebit {
  readonly state: AutoTopUpState
  /** The request the write opened, to store with it. */
  readonly request: AutoTopUpRequest | undefined
  readonly events: ReadonlyArray<NewLedgerEvent>
}

/**
 * What a committed write that lowered the available balance (a spend; a hold or capture once they
 * exist) causes besides its entry: `balance.low` when it crossed below the threshold (whether auto
 * top-up is enabled or not), and an auto top-up request when one opens. The write path calls it in
 * the write's own step, so the request and the events commit with the entry or not at all.
 */
export const afterDebit = (
  accountId: AccountId,
  state: AutoTopUpState,
  change: { readonly availableBefore: Balance; readonly availableAfter: Balance; readonly entrySequence: number },
  nowMs: number,
): AfterDebit => {
  const createdAt = new Date(nowMs).toISOString()
  const { settings } = state
  const low =
    settings !== null && crossesBelowThreshold(settings.threshold, change.availableBefore, change.availableAfter)
      ? [balanceLow(accountId, createdAt, { threshold: settings.threshold, ...change })]
      : []
  const opening = openAutoTopUp(accountId, state, change.availableAfter, nowMs)
  if (opening._tag === "NotOpened") return { state, request: undefined, events: low }
  return { state: opening.state, request: opening.request, events: [...low, autoTopUpRequested(opening.request)] }
}
