import * as Schema from "effect/Schema"
import { Amount } from "../Credits.ts"
import { Limits } from "../Limits.ts"
import { Member } from "./Member.ts"

/**
 * The calendar period a member limit counts in: the UTC day, the ISO week (from Monday) or the month
 * (from the 1st), with the boundaries refills use. Calendar periods rather than a rolling window: a
 * member's usage is then one counter per period, kept with the account and decided by the pure core
 * on the state it locks, where a rolling window would have to read the member's recent entries on
 * every debit; and "100 credits a day" reads as the calendar day to the people who set it.
 */
export const MemberLimitPeriod = Schema.Literals(["day", "week", "month"])
export type MemberLimitPeriod = typeof MemberLimitPeriod.Type

/** At most `credits` of a member's usage per `period`. */
export const MemberLimit = Schema.Struct({ credits: Amount, period: MemberLimitPeriod })
export type MemberLimit = typeof MemberLimit.Type

/**
 * A wallet's limits: `members` names members' own limits, `default` applies to every other member
 * (none when null). Entries that name no member are never limited.
 */
export const MemberLimits = Schema.Struct({
  default: Schema.NullOr(MemberLimit),
  members: Schema.Record(Member, MemberLimit).check(
    Schema.makeFilter((members) => Object.keys(members).length <= Limits.memberLimitsMax, {
      expected: `at most ${Limits.memberLimitsMax} members with a limit of their own`,
    }),
  ),
})
export type MemberLimits = typeof MemberLimits.Type

/**
 * What a member has used of its limit: `spent` by its debits in the period that starts at
 * `periodStartMs` (its limit's current one when the member last spent; null when no limit applied),
 * and `held` by its open holds, whatever period they were placed in, until they are captured or
 * released.
 */
export const MemberUsage = Schema.Struct({
  periodStartMs: Schema.NullOr(Schema.Int),
  spent: Schema.Int,
  held: Schema.Int,
})
export type MemberUsage = typeof MemberUsage.Type

/**
 * What an account keeps of its members: its limits (null: none, and nothing is counted), the number
 * of holds placed before they were set (`sinceHoldId`: those holds never count, so releasing one
 * gives back nothing it did not take), and each counted member's usage.
 */
export const MembersState = Schema.Struct({
  limits: Schema.NullOr(MemberLimits),
  sinceHoldId: Schema.Int,
  usage: Schema.Record(Schema.String, MemberUsage),
})
export type MembersState = typeof MembersState.Type

/** An account without member limits: the same object, so a write that leaves it alone is seen to. */
export const noMembers: MembersState = { limits: null, sinceHoldId: 0, usage: {} }
