import * as Schema from "effect/Schema"
import type { GrantMovement } from "./DrawDown.ts"
import type { Allocation, Grant } from "./Grant.ts"

/** Whether the grant's expiry has come at `nowMs`. */
export const isGrantDue = (grant: Grant, nowMs: number): boolean =>
  grant.expiresAt !== null && Date.parse(grant.expiresAt) <= nowMs

/**
 * What expires at `nowMs`: of each live grant whose expiry has come, what is left of it less what
 * open holds reserve of it. Holds reserve the account's credits in draw-down order (a capture takes
 * them in that order), so `held` is counted against the live grants in order, and a grant's credits
 * under a hold stay in it, live, past its expiry: a capture still takes them; once the hold is
 * released, the next expiry run takes them. Each credit expires once: what expires leaves the grant.
 */
export const expireGrants = (live: ReadonlyArray<Grant>, held: number, nowMs: number, at: string): GrantMovement => {
  let reserved = held
  const after: Array<Grant> = []
  const changed: Array<Grant> = []
  const allocations: Array<Allocation> = []
  for (const grant of live) {
    const kept = Math.min(reserved, grant.remaining)
    reserved -= kept
    const expiring = grant.remaining - kept
    if (!isGrantDue(grant, nowMs) || expiring === 0) {
      after.push(grant)
      continue
    }
    const expired: Grant = {
      ...grant,
      remaining: kept,
      expired: grant.expired + expiring,
      status: kept === 0 ? "expired" : "live",
      updatedAt: at,
    }
    if (kept > 0) after.push(expired)
    changed.push(expired)
    allocations.push({ grantId: grant.grantId, amount: -expiring })
  }
  return { live: after, changed, allocations }
}

/**
 * What expires next of an account's live grants: the soonest expiry and what is left of the grants it
 * ends, whatever holds reserve; null when no live grant has an expiry. The balance answer carries it.
 */
export const ExpiresNext = Schema.NullOr(Schema.Struct({ amount: Schema.Int, at: Schema.String }))
export type ExpiresNext = typeof ExpiresNext.Type

/** What expires next among the live grants: the soonest expiry and what it would take, whatever holds reserve. */
export const expiresNext = (live: ReadonlyArray<Grant>): ExpiresNext => {
  let at: string | null = null
  let atMs = Number.POSITIVE_INFINITY
  let amount = 0
  for (const grant of live) {
    if (grant.expiresAt === null) continue
    const ms = Date.parse(grant.expiresAt)
    if (ms < atMs) {
      atMs = ms
      at = grant.expiresAt
      amount = grant.remaining
    } else if (ms === atMs) amount += grant.remaining
  }
  return at === null ? null : { amount, at }
}

/** What a warning pass did on one account's live grants: the list after it, and the grants it warned of. */
export interface GrantWarning {
  readonly live: ReadonlyArray<Grant>
  readonly warned: ReadonlyArray<Grant>
}

/**
 * Marks the live grants whose expiry is at or before `untilMs` (now plus the lead time) and that were
 * never warned of, at `at`: each is warned of once. A grant already past its expiry and still live
 * (a hold keeps its credits, or no sweep ran in time) is warned of too: its credits are still to expire.
 */
export const warnExpiringGrants = (live: ReadonlyArray<Grant>, untilMs: number, at: string): GrantWarning => {
  const warned: Array<Grant> = []
  const after = live.map((grant) => {
    if (grant.warnedAt !== null || !isGrantDue(grant, untilMs)) return grant
    const marked: Grant = { ...grant, warnedAt: at, updatedAt: at }
    warned.push(marked)
    return marked
  })
  return warned.length === 0 ? { live, warned } : { live: after, warned }
}
