import * as Schema from "effect/Schema"
import { AccountId } from "./AccountId.ts"
import { Balance } from "./Credits.ts"
import { Allocation } from "./grants/Grant.ts"
import { Metadata } from "./Metadata.ts"
import { Member } from "./wallets/Member.ts"

/**
 * Kinds a top-up may carry; each adds credits. `reversal` gives credits back (for usage that should
 * not have been charged); it was called `refund` before refunds became debits.
 */
export const TopUpKind = Schema.Literals(["top-up", "grant", "reversal"]).annotate({
  message:
    'kind must be "top-up", "grant" or "reversal" (the kind once called "refund" is "reversal"). A refund is a debit of an earlier entry (POST /v1/accounts/{accountId}/entries/{sequence}/refunds, `tally refund`); an adjustment needs a reason and an actor (POST /v1/accounts/{accountId}/adjustments, `tally adjust`)',
})
export type TopUpKind = typeof TopUpKind.Type

/**
 * Every kind of entry and the way it moves credits:
 * - in: `top-up`, `grant`, `reversal`;
 * - out: `usage` (a spend, or a capture of a hold), `refund` (money returned to the customer: a debit
 *   linked to the entry it refunds, as the origin platform's REFUND);
 * - either way: `adjustment` (an operator's correction, with a reason and an actor);
 * - out: `expiry` (what was left of grants when they expired).
 */
export const EntryKind = Schema.Literals(["top-up", "grant", "reversal", "usage", "refund", "adjustment", "expiry"])
export type EntryKind = typeof EntryKind.Type

/**
 * One applied change, immutable once written. `sequence` counts an account's entries from 1, and
 * `balanceAfter` of entry n equals `balanceAfter` of entry n-1 plus `amount`.
 */
export const Entry = Schema.Struct({
  accountId: AccountId,
  sequence: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  kind: EntryKind,
  decision: Schema.Literals(["Applied", "Clamped"]),
  /** The signed amount asked for. */
  requested: Schema.Int,
  /** The signed amount that moved: what a clamp left of `requested`. */
  amount: Schema.Int,
  balanceAfter: Balance,
  idempotencyKey: Schema.NullOr(Schema.String),
  /** The caller's reference (a run id, an order id), when the write carried one. */
  reference: Schema.NullOr(Schema.String),
  /** The hold a capture settled. */
  holdId: Schema.NullOr(Schema.Int),
  /** The sequence of the entry a refund returns credits of. */
  refundOf: Schema.NullOr(Schema.Int),
  /** Why an adjustment (or a refund) was made, and who made it. */
  reason: Schema.NullOr(Schema.String),
  actor: Schema.NullOr(Schema.String),
  /**
   * The entry left the available balance below the account's floor, as only a refund, a capture
   * that allows debt or a forced adjustment may: the account is in debt because of it.
   */
  overdrawn: Schema.Boolean,
  metadata: Metadata,
  /** ISO-8601 time the ledger accepted the change. */
  createdAt: Schema.String,
  /**
   * The member of the wallet who caused it (a user of the organization the account belongs to);
   * absent when the write named none.
   */
  member: Schema.optionalKey(Member),
  /**
   * What the entry moved in or out of each grant (signed as `amount`); absent when it touched none,
   * as on every entry of an account without grants.
   */
  allocations: Schema.optionalKey(Schema.Array(Allocation)),
})
export type Entry = typeof Entry.Type

/** The fields a plain top-up or spend leaves empty. */
export const noLinks = {
  reference: null,
  holdId: null,
  refundOf: null,
  reason: null,
  actor: null,
  overdrawn: false,
} as const satisfies Partial<Entry>
