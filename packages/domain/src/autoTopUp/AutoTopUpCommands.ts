import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, Ceiling } from "../Credits.ts"
import { GrantTermsFields } from "../grants/Grant.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { AutoTopUpFailureReason, AutoTopUpRequestId, type AutoTopUpState } from "./AutoTopUpRequest.ts"
import { Threshold } from "./AutoTopUpSettings.ts"

/** What the ledger is asked to do with an account's auto top-up, and what it answers. */

/**
 * Set an account's auto top-up: `threshold` and `amount` as the origin names them, an optional
 * `ceiling`, and `enabled` (true unless said otherwise; false keeps the settings and asks for nothing).
 */
export const ConfigureAutoTopUpRequest = Schema.Struct({
  accountId: AccountId,
  threshold: Threshold,
  amount: Amount,
  ceiling: Schema.optionalKey(Ceiling),
  enabled: Schema.optionalKey(Schema.Boolean),
})
export type ConfigureAutoTopUpRequest = typeof ConfigureAutoTopUpRequest.Type

/**
 * The app took the payment: credit the request. The payment's reference is the write's idempotency
 * key. With `expiresAt` or `priority` the credits are a grant: the app says, per payment, whether what
 * it sold lapses (a promotion, credits valid for a year from purchase), as a top-up does.
 */
export const CompleteAutoTopUpRequest = Schema.Struct({
  accountId: AccountId,
  requestId: AutoTopUpRequestId,
  paymentReference: IdempotencyKey,
  ...GrantTermsFields,
})
export type CompleteAutoTopUpRequest = typeof CompleteAutoTopUpRequest.Type

/** The app could not take the payment: nothing is credited. */
export const FailAutoTopUpRequest = Schema.Struct({
  accountId: AccountId,
  requestId: AutoTopUpRequestId,
  reason: AutoTopUpFailureReason,
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
})
export type FailAutoTopUpRequest = typeof FailAutoTopUpRequest.Type

export const AutoTopUpRequestLookup = Schema.Struct({ accountId: AccountId, requestId: AutoTopUpRequestId })
export type AutoTopUpRequestLookup = typeof AutoTopUpRequestLookup.Type

/**
 * An account's auto top-up as a caller reads it: the settings flat, as the origin's `auto_top_up`
 * reads (`threshold`, `amount`; null until configured), whether it is on, the failures in a row, and
 * the request that is open, if any.
 */
export const AutoTopUpStatus = Schema.Struct({
  accountId: AccountId,
  enabled: Schema.Boolean,
  threshold: Schema.NullOr(Threshold),
  amount: Schema.NullOr(Amount),
  ceiling: Schema.NullOr(Ceiling),
  consecutiveFailures: Schema.Int,
  openRequestId: Schema.NullOr(AutoTopUpRequestId),
})
export type AutoTopUpStatus = typeof AutoTopUpStatus.Type

export const autoTopUpStatus = (accountId: AccountId, state: AutoTopUpState): AutoTopUpStatus => ({
  accountId,
  enabled: state.settings?.enabled ?? false,
  threshold: state.settings?.threshold ?? null,
  amount: state.settings?.amount ?? null,
  ceiling: state.settings?.ceiling ?? null,
  consecutiveFailures: state.consecutiveFailures,
  openRequestId: state.openRequestId,
})
