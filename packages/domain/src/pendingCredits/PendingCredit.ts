import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Amount, Ceiling } from "../Credits.ts"
import { GrantPriority } from "../grants/Grant.ts"
import { Metadata } from "../Metadata.ts"

/** A pending credit's number within its account: 1 for the first, then 2, 3... */
export const PendingCreditId = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))
export type PendingCreditId = typeof PendingCreditId.Type

/**
 * `pending` counts nowhere; it resolves once, as `activated` (its credit was posted), `voided` (the
 * payment failed or was cancelled) or `expired` (its deadline passed first).
 */
export const PendingCreditStatus = Schema.Literals(["pending", "activated", "voided", "expired"])
export type PendingCreditStatus = typeof PendingCreditStatus.Type

/** The kinds of credit a pending credit becomes: a purchase (`top-up`) or a free `grant`. */
export const PendingCreditKind = Schema.Literals(["top-up", "grant"])
export type PendingCreditKind = typeof PendingCreditKind.Type

/**
 * A credit recorded before it counts (the origin's inactive transaction): a checkout started, and
 * the payment provider has not confirmed it yet. It is in neither the balance nor the available
 * balance until activated, when `amount` is credited as a top-up would be, under `ceiling` on the
 * balance at that moment, with the activation's metadata over its own. `grantExpiresAt` or
 * `grantPriority` make the credit a grant when it activates. Times are ISO-8601.
 */
export const PendingCredit = Schema.Struct({
  accountId: AccountId,
  pendingCreditId: PendingCreditId,
  status: PendingCreditStatus,
  kind: PendingCreditKind,
  amount: Amount,
  ceiling: Schema.NullOr(Ceiling),
  reference: Schema.NullOr(Schema.String),
  metadata: Metadata,
  grantExpiresAt: Schema.NullOr(Schema.String),
  grantPriority: Schema.NullOr(GrantPriority),
  createdAt: Schema.String,
  /** From this moment on it can no longer be activated, and expires. */
  expiresAt: Schema.String,
  resolvedAt: Schema.NullOr(Schema.String),
  /** The entry its activation appended. */
  entrySequence: Schema.NullOr(Schema.Int),
})
export type PendingCredit = typeof PendingCredit.Type
