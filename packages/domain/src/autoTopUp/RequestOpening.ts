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
  /** The available balance is already at or above the ceiling: there is no room to top up. */
  | "AtOrAboveCeiling"

export type Opening =
  | { readonly _tag: "Opened"; readonly state: AutoTopUpState; readonly request: AutoTopUpRequest }
  | { readonly _tag: "NotOpened"; readonly reason: NotOpenedReason }

const notOpened = (reason: NotOpenedReason): Opening => ({ _tag: "NotOpened", reason })

/**
 * Decides, on the available balance a committed write leaves, whether it opens an auto top-up
 * request: only below the threshold, only when none is open, and for the configured amount clamped
 * so that available + amount never passes the ceiling (by the same rule as a top-up with a ceiling;
 * without one, the largest balance is the ceiling). The origin passes its threshold as the ceiling of
 * its top-up to the same end: a second concurrent run finds enough balance (its PR 9426).
 *
 * The rule reads the available balance only, so holds (credits reserved but not spent) count as
 * spent. The storage runs it with exclusive access to the account, and its constraint backs "at
 * most one open request".
 */
export const openAutoTopUp = (
  accountId: AccountId,
  state: AutoTopUpState,
  available: Balance,
  nowMs: number,
): Opening => {
  const { settings } = state
  if (settings === null) return notOpened("NotConfigured")
  if (!settings.enabled) return notOpened("Disabled")
  if (available >= settings.threshold) return notOpened("AtOrAboveThreshold")
  if (state.openRequestId !== null) return notOpened("RequestAlreadyOpen")
  const decision = applyTopUp(available, settings.amount, settings.ceiling ?? (Limits.balanceMax as Ceiling))
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
    availableAtOpen: available,
    openedAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + Limits.autoTopUpRequestExpiryMs).toISOString(),
    resolvedAt: null,
    paymentReference: null,
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
