import type { AccountState } from "../AccountState.ts"
import { autoTopUpCompleted, autoTopUpExpired, autoTopUpFailed } from "../events/AccountEvents.ts"
import {
  afterEntry,
  type Change,
  canonicalJson,
  keyed,
  nextEntry,
  type Step,
  type WriteResult,
  whenSet,
} from "../Posting.ts"
import {
  type AutoTopUpStatus,
  autoTopUpStatus,
  type CompleteAutoTopUpRequest,
  type ConfigureAutoTopUpRequest,
  type FailAutoTopUpRequest,
} from "./AutoTopUpCommands.ts"
import {
  AutoTopUpCeilingBelowThreshold,
  AutoTopUpRequestExpired,
  type AutoTopUpResolutionError,
} from "./AutoTopUpError.ts"
import type { AutoTopUpRequest } from "./AutoTopUpRequest.ts"
import { configureAutoTopUp } from "./AutoTopUpSettings.ts"
import { completeAutoTopUp, expireAutoTopUp, failAutoTopUp } from "./RequestResolution.ts"

/**
 * Auto top-up as steps on one account: setting it, and completing, failing and expiring a request.
 * Each is decided on the request as stored, under the account's exclusive access, so whichever of
 * complete, fail and expire comes first resolves the request and the others find it resolved.
 */

/** A request's reference on the entry that credits it, so history finds the credit: `auto-top-up:<id>`. */
export const autoTopUpReference = (requestId: number) => `auto-top-up:${requestId}`

/**
 * Sets the settings; an open request stays open. It opens none by itself, as the origin's
 * `set_auto_top_up` does not: the next debit below the threshold does.
 */
export const configure =
  (request: ConfigureAutoTopUpRequest): Step<AutoTopUpStatus | AutoTopUpCeilingBelowThreshold> =>
  ({ state }) => {
    const configured = configureAutoTopUp(state.autoTopUp, {
      enabled: request.enabled ?? true,
      threshold: request.threshold,
      amount: request.amount,
      ceiling: request.ceiling ?? null,
    })
    if (configured instanceof AutoTopUpCeilingBelowThreshold) return { result: configured }
    return { result: autoTopUpStatus(request.accountId, configured), state: { ...state, autoTopUp: configured } }
  }

/**
 * A refusal; past the deadline, the request is expired in the same write (as a capture past its
 * hold's deadline releases it), so the refusal and the request's status agree.
 */
const refusal = (
  state: AccountState,
  request: AutoTopUpRequest | undefined,
  error: AutoTopUpResolutionError,
  nowMs: number,
) => {
  if (!(error instanceof AutoTopUpRequestExpired) || request === undefined) {
    return { outcome: { _tag: "Refused", error } as const }
  }
  const expiry = expireAutoTopUp(state.autoTopUp, request, nowMs)
  if (expiry._tag !== "Expired") return { outcome: { _tag: "Refused", error } as const }
  const change: Change = {
    state: { ...state, autoTopUp: expiry.state },
    autoTopUpRequest: expiry.request,
    events: [autoTopUpExpired(expiry.request)],
  }
  return { outcome: { _tag: "Refused", error } as const, change }
}

const isResolutionError = (value: object): value is AutoTopUpResolutionError =>
  "_tag" in value &&
  (value._tag === "AutoTopUpRequestNotFound" ||
    value._tag === "AutoTopUpRequestNotOpen" ||
    value._tag === "AutoTopUpRequestExpired")

/**
 * Credits a request in full as a `top-up` entry, keyed by the payment reference: completing again
 * with it answers the first completion; the reference used for anything else is a conflict.
 */
export const complete = (request: CompleteAutoTopUpRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.paymentReference,
    () =>
      canonicalJson({
        op: "CompleteAutoTopUp",
        requestId: request.requestId,
        ...whenSet("expiresAt", request.expiresAt),
        ...whenSet("priority", request.priority),
      }),
    ({ state, autoTopUpRequest }) => {
      const { accountId, requestId, paymentReference } = request
      const decided = completeAutoTopUp(
        state.autoTopUp,
        autoTopUpRequest,
        { accountId, requestId, paymentReference },
        state.balance,
        nowMs,
      )
      if (isResolutionError(decided)) return refusal(state, autoTopUpRequest, decided, nowMs)
      if (decided._tag === "BalanceLimitExceeded") return { outcome: { _tag: "Refused", error: decided } }
      if (decided._tag === "AlreadyCompleted") {
        return { outcome: { _tag: "AutoTopUpChanged", request: decided.request, entry: null }, replayed: true }
      }
      const entry = nextEntry(accountId, state, decided.credit, {
        kind: "top-up",
        idempotencyKey: paymentReference,
        reference: autoTopUpReference(requestId),
        createdAt: new Date(nowMs).toISOString(),
      })
      const completed: AutoTopUpRequest = { ...decided.request, entrySequence: entry.sequence }
      return {
        outcome: { _tag: "AutoTopUpChanged", request: completed, entry },
        change: {
          state: { ...afterEntry(state, entry), autoTopUp: decided.state },
          entry,
          autoTopUpRequest: completed,
          events: [autoTopUpCompleted(completed, entry)],
        },
        grantTerms: request,
      }
    },
  )

/**
 * Fails a request; the failure that makes too many in a row switches auto top-up off, with its
 * event. Failing a failed request again answers it as it stands and changes nothing.
 */
export const fail = (request: FailAutoTopUpRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => canonicalJson({ op: "FailAutoTopUp", requestId: request.requestId, reason: request.reason }),
    ({ state, autoTopUpRequest }) => {
      const { accountId, requestId, reason } = request
      const decided = failAutoTopUp(state.autoTopUp, autoTopUpRequest, { accountId, requestId, reason }, nowMs)
      if (isResolutionError(decided)) return refusal(state, autoTopUpRequest, decided, nowMs)
      if (decided._tag === "AlreadyFailed") {
        return { outcome: { _tag: "AutoTopUpChanged", request: decided.request, entry: null }, replayed: true }
      }
      return {
        outcome: { _tag: "AutoTopUpChanged", request: decided.request, entry: null },
        change: {
          state: { ...state, autoTopUp: decided.state },
          autoTopUpRequest: decided.request,
          events: autoTopUpFailed(decided),
        },
      }
    },
  )

/**
 * Expires a request past its deadline that is still open: what the expiry sweep runs. It needs no
 * key: run again, it finds the request resolved and does nothing.
 */
export const expire =
  (nowMs: number): Step<boolean> =>
  ({ state, autoTopUpRequest }) => {
    if (autoTopUpRequest === undefined) return { result: false }
    const expiry = expireAutoTopUp(state.autoTopUp, autoTopUpRequest, nowMs)
    if (expiry._tag !== "Expired") return { result: false }
    return {
      result: true,
      state: { ...state, autoTopUp: expiry.state },
      autoTopUpRequest: expiry.request,
      events: [autoTopUpExpired(expiry.request)],
    }
  }
