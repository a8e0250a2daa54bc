import type { Balance } from "../Credits.ts"
import type { Applied } from "../Decision.ts"
import type { IdempotencyKey } from "../IdempotencyKey.ts"
import { BalanceLimitExceeded } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { standingOf } from "../ResolveOnce.ts"
import { applyTopUp } from "../TopUp.ts"
import {
  AutoTopUpRequestExpired,
  AutoTopUpRequestNotFound,
  AutoTopUpRequestNotOpen,
  type AutoTopUpResolutionError,
} from "./AutoTopUpError.ts"
import { type AutoTopUpRequest, type AutoTopUpState, isRequestPastDeadline } from "./AutoTopUpRequest.ts"

/**
 * How an open request ends: completed (the app took the payment), failed (it could not), or expired
 * (nobody said either before its deadline). Each is decided on the request as stored, under the
 * account's exclusive access, so whichever comes first resolves it and the others find it resolved.
 * Asking for what already happened again (the same completion, a second failure) changes nothing.
 */

export interface RequestTarget {
  readonly accountId: string
  readonly requestId: number
}

/** The request if it can still be resolved; the rule is the one pending credits resolve by (`standingOf`). */
const open = (
  target: RequestTarget,
  request: AutoTopUpRequest | undefined,
  nowMs: number,
): AutoTopUpRequest | AutoTopUpResolutionError => {
  const standing = standingOf(request, "open", nowMs)
  switch (standing._tag) {
    case "Missing":
      return new AutoTopUpRequestNotFound(target)
    case "Resolved":
      return new AutoTopUpRequestNotOpen({ ...target, status: standing.item.status as "completed" })
    case "PastDeadline":
      return new AutoTopUpRequestExpired({ ...target, expiresAt: standing.expiresAt })
    case "Open":
      return standing.item
  }
}

const isError = (value: AutoTopUpRequest | AutoTopUpResolutionError): value is AutoTopUpResolutionError =>
  "_tag" in value

const closed = (state: AutoTopUpState, request: AutoTopUpRequest): AutoTopUpState =>
  state.openRequestId === request.requestId ? { ...state, openRequestId: null } : state

export type Completion =
  | {
      readonly _tag: "Completed"
      readonly state: AutoTopUpState
      readonly request: AutoTopUpRequest
      /** The top-up to post: the request's amount in full, on the balance as it stands now. */
      readonly credit: Applied
    }
  | { readonly _tag: "AlreadyCompleted"; readonly request: AutoTopUpRequest }

/**
 * Completes a request with the app's payment reference: credits its amount in full, whatever the
 * balance did meanwhile, because the money has been taken (the ceiling decided when the request
 * opened, and never takes credits from a paid request). It fails only when the credit would pass the
 * largest balance Tally holds exactly; the request then stays open, for the app to fail it.
 */
export const completeAutoTopUp = (
  state: AutoTopUpState,
  request: AutoTopUpRequest | undefined,
  target: RequestTarget & { readonly paymentReference: IdempotencyKey },
  balance: Balance,
  nowMs: number,
): Completion | AutoTopUpResolutionError | BalanceLimitExceeded => {
  if (request?.status === "completed" && request.paymentReference === target.paymentReference) {
    return { _tag: "AlreadyCompleted", request }
  }
  const current = open(target, request, nowMs)
  if (isError(current)) return current
  const decision = applyTopUp(balance, current.amount)
  // Without a ceiling a top-up is Applied in full, or Rejected past the largest balance; never Clamped.
  if (decision._tag !== "Applied") {
    return new BalanceLimitExceeded({ balance, amount: current.amount, balanceMax: Limits.balanceMax, heldAfter: 0 })
  }
  const completed: AutoTopUpRequest = {
    ...current,
    status: "completed",
    resolvedAt: new Date(nowMs).toISOString(),
    paymentReference: target.paymentReference,
  }
  return {
    _tag: "Completed",
    state: { ...closed(state, completed), consecutiveFailures: 0 },
    request: completed,
    credit: decision,
  }
}

export type Failure =
  | {
      readonly _tag: "Failed"
      readonly state: AutoTopUpState
      readonly request: AutoTopUpRequest
      /** This failure was one too many in a row: auto top-up is now switched off. */
      readonly disabled: boolean
    }
  | { readonly _tag: "AlreadyFailed"; readonly request: AutoTopUpRequest }

/**
 * Fails a request: nothing is credited, and after `Limits.autoTopUpConsecutiveFailuresMax` failures
 * in a row auto top-up is switched off for the account (until its settings are set again), so a
 * declined card is not charged again and again.
 */
export const failAutoTopUp = (
  state: AutoTopUpState,
  request: AutoTopUpRequest | undefined,
  target: RequestTarget & { readonly reason: string },
  nowMs: number,
): Failure | AutoTopUpResolutionError => {
  if (request?.status === "failed") return { _tag: "AlreadyFailed", request }
  const current = open(target, request, nowMs)
  if (isError(current)) return current
  const failed: AutoTopUpRequest = {
    ...current,
    status: "failed",
    resolvedAt: new Date(nowMs).toISOString(),
    failureReason: target.reason,
  }
  const consecutiveFailures = state.consecutiveFailures + 1
  const disabled =
    consecutiveFailures >= Limits.autoTopUpConsecutiveFailuresMax && state.settings !== null && state.settings.enabled
  const settings = disabled && state.settings !== null ? { ...state.settings, enabled: false } : state.settings
  return {
    _tag: "Failed",
    state: { ...closed(state, failed), consecutiveFailures, settings },
    request: failed,
    disabled,
  }
}

export type Expiry =
  | { readonly _tag: "Expired"; readonly state: AutoTopUpState; readonly request: AutoTopUpRequest }
  /** Still open and within its deadline. */
  | { readonly _tag: "NotDue"; readonly request: AutoTopUpRequest }
  /** Completed, failed or expired already: nothing to do. */
  | { readonly _tag: "NotOpen"; readonly request: AutoTopUpRequest }

/**
 * Expires a request whose deadline has passed. An expiry is not a failure: no payment was tried as
 * far as Tally knows, so it does not count towards switching auto top-up off.
 */
export const expireAutoTopUp = (state: AutoTopUpState, request: AutoTopUpRequest, nowMs: number): Expiry => {
  if (request.status !== "open") return { _tag: "NotOpen", request }
  if (!isRequestPastDeadline(request, nowMs)) return { _tag: "NotDue", request }
  const expired: AutoTopUpRequest = { ...request, status: "expired", resolvedAt: new Date(nowMs).toISOString() }
  return { _tag: "Expired", state: closed(state, expired), request: expired }
}
