import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Member } from "./Member.ts"
import { MemberLimit, MemberLimits } from "./MemberLimits.ts"

/** Sets a wallet's member limits, replacing the ones it had: a default for every member, members' own. */
export const SetMemberLimitsRequest = Schema.Struct({
  accountId: AccountId,
  default: Schema.optionalKey(MemberLimits.fields.default),
  members: Schema.optionalKey(MemberLimits.fields.members),
})
export type SetMemberLimitsRequest = typeof SetMemberLimitsRequest.Type

/** A member's limit and what counts against it now: its spending this period and its open holds. */
export const MemberUsageStatus = Schema.Struct({
  member: Member,
  limit: MemberLimit,
  /** ISO-8601 start of the limit's current period (UTC). */
  periodStart: Schema.String,
  used: Schema.Int,
  /** Of `used`, what the member's open holds reserve. */
  held: Schema.Int,
  remaining: Schema.Int,
})
export type MemberUsageStatus = typeof MemberUsageStatus.Type

/** A wallet's member limits, and the usage of the members who used any of theirs this period. */
export const MemberLimitsStatus = Schema.Struct({
  accountId: AccountId,
  default: MemberLimits.fields.default,
  members: MemberLimits.fields.members,
  usage: Schema.Array(MemberUsageStatus),
})
export type MemberLimitsStatus = typeof MemberLimitsStatus.Type
