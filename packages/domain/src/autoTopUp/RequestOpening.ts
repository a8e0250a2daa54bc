import type { AccountId } from "../AccountId.ts"
import type { Amount, Balance, Ceiling } from "../Credits.ts"
import { Limits } from "../Limits.ts"
import { applyTopUp } from "../TopUp.ts"
import type { AutoTopUpRequest, AutoTopUpState } from "./AutoTopUpRequest.ts"

/** Why a write did not open an auto top-up request. */
export type NotOpenedReason =
  | "NotConfigured"
  | "Disabled"
  | "AtOrAboveThreshold"
  /** At most one request is open per account: the next one can open once it is resolved. */
  | "RequestAlreadyOpen"
  /** The balance is already at or above the ceiling: there is no room to top up. */
  | "AtOrAboveCeiling"

export type Opening =
  | { readonly _tag: "Opened"; readonly state: AutoTopUpState; readonly request: AutoTopUpRequest }
  | { readonly _tag: "NotOpened"; readonly reason: NotOpenedReason }

const notOpened = (reason: NotOpenedReason): Opening => ({ _tag: "NotOpened", reason })

/** What a committed write left on the account: `available` is `balance - held`. */
export interface CreditsAfter {
  readonly available: Balance
  readonly balance: Balance
}

/**
 * Decides, on what a committed write leaves, whether it opens an auto top-up request: only when the
 * available balance is below the threshold, only when none is open, and for the configured amount
 * clamped so that balance + amount never passes the ceiling (by the same rule as a top-up with a
 * ceiling, which compares with the balance; without one, the largest balance is the ceiling). The
 * origin passes its threshold as the ceiling of its top-up to a similar end: a second concurrent run
 * finds enough balance (its PR 9426).
 *
 * The threshold reads the available balance, so holds (credits reserved but not spent) count as
 * spent; the ceiling reads the balance, as every top-up's does, since completing the request credits
 * the balance. The storage runs it with exclusive access to the account, and its constraint backs
 * "at most one open request".
 */
export const openAutoTopUp = (
  accountId: AccountId,
  state: AutoTopUpState,
  after: CreditsAfter,
  nowMs: number,
): Opening => {
  const { settings } = state
  if (settings === null) return notOpened("NotConfigured")
  if (!settings.enabled) return notOpened("Disabled")
  if (after.available >= settings.threshold) return notOpened("AtOrAboveThreshold")
  if (state.openRequestId !== null) return notOpened("RequestAlreadyOpen")
  const decision = applyTopUp(after.balance, settings.amount, settings.ceiling ?? (Limits.balanceMax as Ceiling))
  if (decision._tag === "Rejected") return notOpened("AtOrAboveCeiling")
  const requestId = state.lastRequestId + 1
  const request: AutoTopUpRequest = {
    accountId,
    requestId,
    status: "open",
    amount: decision.applied as Amount,
    amountConfigured: settings.amount,
    threshold: settings.threshold,
    ceiling: settings.ceiling,
    availableAtOpen: after.available,
    balanceAtOpen: after.balance,
    openedAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + Limits.autoTopUpRequestExpiryMs).toISOString(),
    resolvedAt: null,
    paymentReference: null,
    entrySequence: null,
    failureReason: null,
  }
  return { _tag: "Opened", state: { ...state, lastRequestId: requestId, openRequestId: requestId }, request }
}

/**
 * Whether a change of the available balance crosses below the threshold (the `balance.low` event):
 * from at or above it to below it, once per crossing, not on every write that stays below.
 */
export const crossesBelowThreshold = (threshold: number, availableBefore: number, availableAfter: number) =>
  availableBefore >= threshold && availableAfter < threshold
