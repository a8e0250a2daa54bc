import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, Balance, Ceiling } from "../Credits.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { Limits } from "../Limits.ts"
import { storable } from "../Metadata.ts"
import { AutoTopUpSettings, Threshold } from "./AutoTopUpSettings.ts"

export const AutoTopUpRequestStatus = Schema.Literals(["open", "completed", "failed", "expired"])
export type AutoTopUpRequestStatus = typeof AutoTopUpRequestStatus.Type

/** Numbered per account from 1, in the order requests open: no randomness, and ids read in order. */
export const AutoTopUpRequestId = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** Why the app could not take the payment, as it tells it; stored in events, so text PostgreSQL can keep. */
export const AutoTopUpFailureReason = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.autoTopUpFailureReasonLengthMax),
  Schema.makeFilter((text) => storable(text) || "must be valid Unicode without NUL characters"),
)

/**
 * Tally asking the app for credits: the app charges its customer, then completes the request (which
 * credits `amount` in full) or fails it. Times are ISO-8601.
 */
export const AutoTopUpRequest = Schema.Struct({
  accountId: AccountId,
  requestId: AutoTopUpRequestId,
  status: AutoTopUpRequestStatus,
  /** What completing credits: the configured amount, clamped under the ceiling when the request opened. */
  amount: Amount,
  /** The configured amount when the request opened, before the clamp. */
  amountConfigured: Amount,
  threshold: Threshold,
  ceiling: Schema.NullOr(Ceiling),
  /** The available balance the write that opened the request left: below the threshold. */
  availableAtOpen: Balance,
  /** The balance that write left: the ceiling clamped `amount` against it. */
  balanceAtOpen: Balance,
  openedAt: Schema.String,
  /** Past this moment the request can no longer be completed or failed, and expires. */
  expiresAt: Schema.String,
  resolvedAt: Schema.NullOr(Schema.String),
  /** The app's reference of the payment that completed the request (its idempotency key). */
  paymentReference: Schema.NullOr(IdempotencyKey),
  /** The `top-up` entry that credited a completed request. */
  entrySequence: Schema.NullOr(Schema.Int),
  failureReason: Schema.NullOr(AutoTopUpFailureReason),
})
export type AutoTopUpRequest = typeof AutoTopUpRequest.Type

/** What an account keeps of its auto top-up besides the requests themselves. */
export const AutoTopUpState = Schema.Struct({
  settings: Schema.NullOr(AutoTopUpSettings),
  /** Failed requests since the last completed one; at `Limits.autoTopUpConsecutiveFailuresMax` auto top-up switches off. */
  consecutiveFailures: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** The newest request's id (0 before the first): the next request gets the one after. */
  lastRequestId: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** The one request that may be open at a time. */
  openRequestId: Schema.NullOr(AutoTopUpRequestId),
})
export type AutoTopUpState = typeof AutoTopUpState.Type

/** An account that never configured auto top-up. */
export const noAutoTopUp: AutoTopUpState = {
  settings: null,
  consecutiveFailures: 0,
  lastRequestId: 0,
  openRequestId: null,
}

/** Whether the request's deadline has passed at `nowMs`: from `expiresAt` on, it can only expire. */
export const isRequestPastDeadline = (request: AutoTopUpRequest, nowMs: number) =>
  nowMs >= Date.parse(request.expiresAt)
