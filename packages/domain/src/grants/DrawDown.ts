import type { AccountId } from "../AccountId.ts"
import { type Allocation, defaultGrantPriority, drawOrder, type Grant, type GrantTerms } from "./Grant.ts"

/**
 * How entries move credits in and out of grants. An account keeps its live grants in draw-down
 * order (`drawOrder`); the credits of its balance beyond them are ungranted and drawn last. So while
 * the balance is not negative the live grants' remainders add up to at most the balance, and to none
 * of it while it is.
 */

/** Live grants after an entry, the grants it changed (for the grants listing), and what it moved per grant. */
export interface GrantMovement {
  readonly live: ReadonlyArray<Grant>
  readonly changed: ReadonlyArray<Grant>
  readonly allocations: ReadonlyArray<Allocation>
}

/**
 * A debit of `amount` (positive) at `at`: it takes from the live grants in draw-down order (from
 * grant `first` before the others, when it is live: a refund of a credit takes back that credit's
 * grant first), and what they cannot cover from the ungranted credits (or as debt). No grant goes
 * below zero; a grant taken to zero is spent and leaves the live list.
 */
export const drawDown = (
  live: ReadonlyArray<Grant>,
  amount: number,
  first: number | null,
  at: string,
): GrantMovement => {
  const firstIndex = first === null ? -1 : live.findIndex((grant) => grant.grantId === first)
  const order = firstIndex < 0 ? live : [live[firstIndex]!, ...live.filter((_, index) => index !== firstIndex)]
  const taken = new Map<number, Grant>()
  const allocations: Array<Allocation> = []
  let left = amount
  for (const grant of order) {
    if (left === 0) break
    const take = Math.min(left, grant.remaining)
    left -= take
    const remaining = grant.remaining - take
    taken.set(grant.grantId, { ...grant, remaining, status: remaining === 0 ? "spent" : "live", updatedAt: at })
    allocations.push({ grantId: grant.grantId, amount: -take })
  }
  const after: Array<Grant> = []
  for (const grant of live) {
    const changed = taken.get(grant.grantId)
    if (changed === undefined) after.push(grant)
    else if (changed.remaining > 0) after.push(changed)
  }
  return { live: after, changed: [...taken.values()], allocations }
}

/**
 * A credit of `amount` (positive) that is a grant, made by entry `sequence` on a balance of
 * `balanceBefore`: it repays the debt first, and the grant keeps what is left, in its place in the
 * draw-down order. A grant the debt took whole is recorded as spent, with no allocation.
 */
export const fillGrant = (
  accountId: AccountId,
  live: ReadonlyArray<Grant>,
  balanceBefore: number,
  amount: number,
  terms: GrantTerms,
  sequence: number,
  at: string,
): GrantMovement => {
  const remaining = amount - Math.min(amount, Math.max(0, -balanceBefore))
  const grant: Grant = {
    accountId,
    grantId: sequence,
    status: remaining > 0 ? "live" : "spent",
    amount,
    remaining,
    expired: 0,
    priority: terms.priority ?? defaultGrantPriority,
    expiresAt: terms.expiresAt === undefined ? null : new Date(terms.expiresAt).toISOString(),
    createdAt: at,
    updatedAt: at,
    warnedAt: null,
  }
  if (remaining === 0) return { live, changed: [grant], allocations: [] }
  const index = live.findIndex((other) => drawOrder(grant, other) < 0)
  const after = index < 0 ? [...live, grant] : [...live.slice(0, index), grant, ...live.slice(index)]
  return { live: after, changed: [grant], allocations: [{ grantId: sequence, amount: remaining }] }
}
