import type { AccountId } from "../AccountId.ts"
import type { Step } from "../Posting.ts"
import { type MembersState, noMembers } from "./MemberLimits.ts"
import type { MemberLimitsStatus, MemberUsageStatus, SetMemberLimitsRequest } from "./MemberLimitsRequest.ts"
import { memberLimitOf, memberUsed, periodStartOf } from "./MemberSpending.ts"

/**
 * Sets the limits. Usage counted so far stays (a new limit applies to what the member already used
 * this period); limits set on a wallet that had none start counting now: holds already placed never
 * count (`sinceHoldId`).
 */
export const setLimits =
  (request: SetMemberLimitsRequest): Step<MembersState> =>
  ({ state }) => {
    const limits = { default: request.default ?? null, members: request.members ?? {} }
    const members: MembersState =
      state.members.limits === null
        ? { limits, sinceHoldId: state.holdsPlaced, usage: {} }
        : { ...state.members, limits }
    return { result: members, state: { ...state, members } }
  }

/** Removes the limits and forgets what was counted: members spend as the balance allows. */
export const removeLimits: Step<MembersState> = ({ state }) =>
  state.members === noMembers ? { result: noMembers } : { result: noMembers, state: { ...state, members: noMembers } }

/** The limits as a caller reads them at `nowMs`, with each limited member's usage, by member id. */
export const limitsStatus = (accountId: AccountId, members: MembersState, nowMs: number): MemberLimitsStatus => {
  const usage: Array<MemberUsageStatus> = []
  for (const member of Object.keys(members.usage).sort()) {
    const limit = memberLimitOf(members, member)
    if (limit === undefined) continue
    const used = memberUsed(members, member, limit, nowMs)
    if (used === 0) continue
    usage.push({
      member,
      limit,
      periodStart: new Date(periodStartOf(limit, nowMs)).toISOString(),
      used,
      held: members.usage[member]!.held,
      remaining: Math.max(0, limit.credits - used),
    })
  }
  return {
    accountId,
    default: members.limits?.default ?? null,
    members: members.limits?.members ?? {},
    usage,
  }
}
