import * as Schema from "effect/Schema"
import { Balance } from "./Credits.ts"

/**
 * The pure core's verdict on one balance change. Amounts are signed credits moved into the account
 * (a spend is negative), so `balanceAfter === balanceBefore + applied` holds for every decision.
 */
const fields = {
  balanceBefore: Balance,
  balanceAfter: Balance,
  /** The signed amount the caller asked for. */
  requested: Schema.Int,
  /** The signed amount that actually moved; 0 when rejected. */
  applied: Schema.Int,
}

/** The change went through in full. */
export const Applied = Schema.TaggedStruct("Applied", fields)
export type Applied = typeof Applied.Type

/** The change went through only up to `limit`: the ceiling for a top-up, the floor for a spend. */
export const Clamped = Schema.TaggedStruct("Clamped", { ...fields, limit: Schema.Int })
export type Clamped = typeof Clamped.Type

export const RejectionReason = Schema.Literals(["AtCeiling", "BalanceLimit", "InsufficientCredits"])
export type RejectionReason = typeof RejectionReason.Type

/**
 * Nothing moved. `limit` is the bound that decided: the ceiling (AtCeiling), the largest balance
 * (BalanceLimit) or the account's floor (InsufficientCredits).
 */
export const Rejected = Schema.TaggedStruct("Rejected", { ...fields, reason: RejectionReason, limit: Schema.Int })
export type Rejected = typeof Rejected.Type

export const Decision = Schema.Union([Applied, Clamped, Rejected])
export type Decision = typeof Decision.Type

/** A decision that moved credits and so appends an entry. */
export type Accepted = Applied | Clamped

export const applied = (balanceBefore: Balance, requested: number): Applied => ({
  _tag: "Applied",
  balanceBefore,
  balanceAfter: (balanceBefore + requested) as Balance,
  requested,
  applied: requested,
})

export const clamped = (balanceBefore: Balance, requested: number, limit: number): Clamped => ({
  _tag: "Clamped",
  balanceBefore,
  balanceAfter: limit as Balance,
  requested,
  applied: limit - balanceBefore,
  limit,
})

export const rejected = (
  balanceBefore: Balance,
  requested: number,
  reason: RejectionReason,
  limit: number,
): Rejected => ({
  _tag: "Rejected",
  balanceBefore,
  balanceAfter: balanceBefore,
  requested,
  applied: 0,
  reason,
  limit,
})
