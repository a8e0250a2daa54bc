import type { Hold } from "../holds/Hold.ts"
import { periodContaining } from "../refills/RefillPeriod.ts"
import type { RefillSchedule } from "../refills/RefillSettings.ts"
import { MemberLimitExceeded } from "./MemberLimitExceeded.ts"
import type { MemberLimit, MemberLimitPeriod, MembersState, MemberUsage } from "./MemberLimits.ts"

/**
 * A wallet's member limits as pure rules. What counts against a member's limit is its usage: spends
 * and captures of holds (in the period they are written in), and what its open holds reserve (from
 * the hold until its capture or release). Refunds and adjustments name a member but are not its
 * spending, so they never count. Counting starts when limits are set: a member's spending before a
 * limit applied to it, and holds placed before the wallet had limits, do not count.
 */

const schedules: Record<MemberLimitPeriod, RefillSchedule> = {
  day: { period: "daily" },
  week: { period: "weekly", weekday: 1 },
  month: { period: "monthly", dayOfMonth: 1 },
}

/** Start of the limit's period that contains `nowMs`, epoch ms, UTC. */
export const periodStartOf = (limit: MemberLimit, nowMs: number): number =>
  periodContaining(schedules[limit.period], nowMs).startMs

/** The member's own limit, else the wallet's default; undefined when neither applies. */
export const memberLimitOf = (members: MembersState, member: string): MemberLimit | undefined => {
  const limits = members.limits
  if (limits === null) return undefined
  return Object.hasOwn(limits.members, member) ? limits.members[member] : (limits.default ?? undefined)
}

const usageOf = (members: MembersState, member: string): MemberUsage | undefined =>
  Object.hasOwn(members.usage, member) ? members.usage[member] : undefined

/** What counts against the member's limit at `nowMs`: its spending in the current period and its holds. */
export const memberUsed = (members: MembersState, member: string, limit: MemberLimit, nowMs: number): number => {
  const usage = usageOf(members, member)
  if (usage === undefined) return 0
  return (usage.periodStartMs === periodStartOf(limit, nowMs) ? usage.spent : 0) + usage.held
}

/**
 * Refuses a debit of `amount` (a spend, a hold, what a capture takes beyond its reservation) that
 * would take the member past its limit in the current period; undefined when it fits or no limit
 * applies. Reaching the limit exactly is allowed.
 */
export const checkMemberDebit = (
  accountId: string,
  members: MembersState,
  member: string | undefined,
  amount: number,
  nowMs: number,
): MemberLimitExceeded | undefined => {
  if (member === undefined || members.limits === null) return undefined
  const limit = memberLimitOf(members, member)
  if (limit === undefined) return undefined
  const used = memberUsed(members, member, limit, nowMs)
  if (amount <= limit.credits - used) return undefined
  const periodStart = new Date(periodStartOf(limit, nowMs)).toISOString()
  return new MemberLimitExceeded({ accountId, member, limit: limit.credits, used, requested: amount, periodStart })
}

/** Whether a hold's reservation counts against its member: it names one and was placed under the limits. */
export const holdCounts = (members: MembersState, hold: Hold): boolean =>
  hold.member !== undefined && members.limits !== null && hold.holdId > members.sinceHoldId

/**
 * The members' usage after a debit or a hold change of `member`: `spent` adds to its spending in the
 * current period (counted only while a limit applies to it), `held` to what its holds reserve. Usage
 * that no longer counts (nothing held, a period that is over) is dropped, so the state keeps only
 * members active in their current period. Without limits nothing is counted: the same state returns.
 */
export const chargeMember = (
  members: MembersState,
  member: string | undefined,
  change: { readonly spent: number; readonly held: number },
  nowMs: number,
): MembersState => {
  if (member === undefined || members.limits === null || (change.spent === 0 && change.held === 0)) return members
  const usage: Record<string, MemberUsage> = {}
  for (const [other, counted] of Object.entries(members.usage)) {
    if (other === member) continue
    const limit = memberLimitOf(members, other)
    const current = limit !== undefined && counted.periodStartMs === periodStartOf(limit, nowMs)
    if (counted.held > 0 || current) usage[other] = counted
  }
  const before = usageOf(members, member)
  const limit = memberLimitOf(members, member)
  const periodStartMs = limit === undefined ? null : periodStartOf(limit, nowMs)
  const spentBefore = before !== undefined && before.periodStartMs === periodStartMs ? before.spent : 0
  const after: MemberUsage = {
    periodStartMs,
    spent: periodStartMs === null ? 0 : spentBefore + change.spent,
    held: (before?.held ?? 0) + change.held,
  }
  if (after.spent > 0 || after.held > 0) usage[member] = after
  return { ...members, usage }
}
