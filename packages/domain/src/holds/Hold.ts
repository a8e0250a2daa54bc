import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Metadata } from "../Metadata.ts"
import { Member } from "../wallets/Member.ts"

/** A hold's number within its account: 1 for the first hold placed on it, then 2, 3... */
export const HoldId = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))
export type HoldId = typeof HoldId.Type

/**
 * `open` reserves credits; it resolves once, as `captured` (its final capture), `released` (by the
 * caller), or `expired` (its deadline passed before it resolved).
 */
export const HoldStatus = Schema.Literals(["open", "captured", "released", "expired"])
export type HoldStatus = typeof HoldStatus.Type

/**
 * Credits reserved on an account: they stay in its balance but are no longer available, until
 * captured as usage or released. While open, it holds `amount - captured` of the account's `held`.
 */
export const Hold = Schema.Struct({
  accountId: AccountId,
  holdId: HoldId,
  status: HoldStatus,
  /** What the caller asked to reserve. */
  requested: Schema.Int,
  /** What was reserved: `requested`, or less when the hold took what was available. */
  amount: Schema.Int,
  /** Credits captured out of the reservation; never more than `amount`. */
  captured: Schema.Int,
  /** Credits a final capture took beyond the reservation, from the available balance (or as debt). */
  excess: Schema.Int,
  reference: Schema.NullOr(Schema.String),
  metadata: Metadata,
  /** ISO-8601 deadline: from then on the hold cannot be captured, and it is released as expired. */
  expiresAt: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  /** When the hold stopped being open. */
  resolvedAt: Schema.NullOr(Schema.String),
  /** The member of the wallet it reserves for; its captures name it unless they name another. */
  member: Schema.optionalKey(Member),
})
export type Hold = typeof Hold.Type

/** The credits an open hold still reserves; a resolved hold reserves none. */
export const remainingOf = (hold: Hold): number => (hold.status === "open" ? hold.amount - hold.captured : 0)

/** Whether the hold's deadline has come at `nowMs`. */
export const isPastDeadline = (hold: Hold, nowMs: number): boolean =>
  hold.expiresAt !== null && Date.parse(hold.expiresAt) <= nowMs
