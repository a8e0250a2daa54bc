import type { AccountId } from "../AccountId.ts"
import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import type { Change, Outcome } from "../Posting.ts"
import { drawDown, fillGrant, type GrantMovement } from "./DrawDown.ts"
import { type GrantTerms, isGrant } from "./Grant.ts"

/**
 * The grants side of an entry a step appends on an account in state `before`: a credit with grant
 * terms fills a new grant, a debit draws the live grants down. Undefined when the entry touches no
 * grant: an account without grants pays one comparison per write.
 */
export const grantMovement = (
  accountId: AccountId,
  before: AccountState,
  entry: Entry,
  terms: GrantTerms | undefined,
): GrantMovement | undefined => {
  if (entry.amount > 0)
    return isGrant(terms)
      ? fillGrant(accountId, before.grants, before.balance, entry.amount, terms, entry.sequence, entry.createdAt)
      : undefined
  if (before.grants.length === 0) return undefined
  return drawDown(before.grants, -entry.amount, entry.kind === "refund" ? entry.refundOf : null, entry.createdAt)
}

/** The entry with its allocations, when it has any. */
export const withAllocations = (entry: Entry, movement: GrantMovement): Entry =>
  movement.allocations.length === 0 ? entry : { ...entry, allocations: movement.allocations }

/** A step's decision with its entry's grants settled: allocations on the entry, the live grants in the state. */
export const settleGrants = <D extends { readonly outcome: Outcome; readonly change?: Change | undefined }>(
  accountId: AccountId,
  before: AccountState,
  decided: D,
  terms: GrantTerms | undefined,
): D => {
  const { outcome, change } = decided
  if (change?.entry === undefined || change.state === undefined) return decided
  const movement = grantMovement(accountId, before, change.entry, terms)
  if (movement === undefined) return decided
  const entry = withAllocations(change.entry, movement)
  return {
    ...decided,
    outcome: "entry" in outcome && outcome.entry === change.entry ? { ...outcome, entry } : outcome,
    change: { ...change, entry, state: { ...change.state, grants: movement.live }, grants: movement.changed },
  }
}
