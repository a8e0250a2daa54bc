import { Schema } from "effect"
import { AccountId } from "./AccountId.ts"
import { Balance } from "./Credits.ts"
import { Metadata } from "./Metadata.ts"

/** Credits come in as a top-up, grant, refund or adjustment, and go out as usage. */
export const TopUpKind = Schema.Literals(["top-up", "grant", "refund", "adjustment"])
export type TopUpKind = typeof TopUpKind.Type

export const EntryKind = Schema.Literals(["top-up", "grant", "refund", "adjustment", "usage"])
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
  metadata: Metadata,
  /** ISO-8601 time the ledger accepted the change. */
  createdAt: Schema.String,
})
export type Entry = typeof Entry.Type
