import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, Ceiling } from "../Credits.ts"
import { GrantTermsFields } from "../grants/Grant.ts"
import { Reference } from "../history/Reference.ts"
import { IdempotencyKey } from "../IdempotencyKey.ts"
import { Limits } from "../Limits.ts"
import { Metadata } from "../Metadata.ts"
import { PendingCreditId, PendingCreditKind, PendingCreditStatus } from "./PendingCredit.ts"

/**
 * Opening a pending credit requires an idempotency key, as placing a hold does: its id is known only
 * from the answer, and a checkout retried after a lost answer must not record two.
 */
const requiredKey = IdempotencyKey.pipe(
  Schema.annotateKey({ messageMissingKey: "an idempotency key is required to record a pending credit" }),
)

/**
 * Record a credit that does not count yet. `expiresInSeconds` is its own deadline (as a hold's);
 * `grantExpiresAt` and `grantPriority` are the terms of the grant it makes when it activates, named
 * apart from the deadline because a pending credit has both.
 */
export const PendingCreditRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  kind: Schema.optionalKey(PendingCreditKind),
  ceiling: Schema.optionalKey(Ceiling),
  expiresInSeconds: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.pendingCreditExpiresInSecondsMax })),
  ),
  grantExpiresAt: GrantTermsFields.expiresAt,
  grantPriority: GrantTermsFields.priority,
  idempotencyKey: requiredKey,
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
})
export type PendingCreditRequest = typeof PendingCreditRequest.Type

/** The payment was confirmed: credit it, with the payment's metadata over the pending credit's. */
export const ActivateCreditRequest = Schema.Struct({
  accountId: AccountId,
  pendingCreditId: PendingCreditId,
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  metadata: Schema.optionalKey(Metadata),
})
export type ActivateCreditRequest = typeof ActivateCreditRequest.Type

/** The payment failed or was cancelled: nothing is credited. */
export const VoidCreditRequest = Schema.Struct({
  accountId: AccountId,
  pendingCreditId: PendingCreditId,
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
})
export type VoidCreditRequest = typeof VoidCreditRequest.Type

export const PendingCreditLookup = Schema.Struct({ accountId: AccountId, pendingCreditId: PendingCreditId })
export type PendingCreditLookup = typeof PendingCreditLookup.Type

/** An account's pending credits, newest first, a page at a time, optionally of one status. */
export const PendingCreditsRequest = Schema.Struct({
  accountId: AccountId,
  status: Schema.optionalKey(PendingCreditStatus),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.entriesPageSizeMax }))),
  cursor: Schema.optionalKey(Schema.String),
})
export type PendingCreditsRequest = typeof PendingCreditsRequest.Type
