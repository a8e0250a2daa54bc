import type { AccountId } from "../AccountId.ts"
import type { AccountState } from "../AccountState.ts"
import { isGrantDue } from "./Expiry.ts"
import type { Grant } from "./Grant.ts"

/**
 * When the account's next grant expiry is due (its live grants' soonest `expiresAt`), or null: what
 * a store keeps next to the account to find the accounts the expiry sweep visits. A grant whose
 * credits a hold keeps stays due until the hold resolves.
 */
export const grantsDueAtMs = (state: AccountState): number | null => {
  let due: number | null = null
  for (const grant of state.grants)
    if (grant.expiresAt !== null) {
      const ms = Date.parse(grant.expiresAt)
      if (due === null || ms < due) due = ms
    }
  return due
}

/** Up to `limit` accounts with a grant due at `nowMs`, soonest first, as a store without indexes finds them. */
export const dueGrantAccountsOf = (
  accounts: Iterable<{ readonly accountId: AccountId; readonly state: AccountState }>,
  nowMs: number,
  limit: number,
): ReadonlyArray<AccountId> =>
  [...accounts]
    .map(({ accountId, state }) => ({ accountId, dueAtMs: grantsDueAtMs(state) }))
    .filter((due): due is { accountId: AccountId; dueAtMs: number } => due.dueAtMs !== null && due.dueAtMs <= nowMs)
    .sort((a, b) => a.dueAtMs - b.dueAtMs)
    .slice(0, limit)
    .map((due) => due.accountId)

/** A page of an account's grants, newest first, with ids below `beforeGrantId`. */
export const grantsPageOf = (
  grants: Iterable<Grant>,
  limit: number,
  beforeGrantId: number | undefined,
): ReadonlyArray<Grant> =>
  [...grants]
    .filter((grant) => beforeGrantId === undefined || grant.grantId < beforeGrantId)
    .sort((a, b) => b.grantId - a.grantId)
    .slice(0, limit)

/**
 * Up to `limit` accounts with a live grant never warned of whose expiry is at or before `untilMs`,
 * soonest first, as a store without indexes finds them: the accounts the `grant.expiring` sweep visits.
 */
export const expiringGrantAccountsOf = (
  accounts: Iterable<{ readonly accountId: AccountId; readonly state: AccountState }>,
  untilMs: number,
  limit: number,
): ReadonlyArray<AccountId> =>
  [...accounts]
    .map(({ accountId, state }) => ({ accountId, dueAtMs: unwarnedDueAtMs(state.grants, untilMs) }))
    .filter((due) => due.dueAtMs <= untilMs)
    .sort((a, b) => a.dueAtMs - b.dueAtMs)
    .slice(0, limit)
    .map((due) => due.accountId)

/** The soonest expiry among the grants never warned of, or infinity. */
const unwarnedDueAtMs = (grants: ReadonlyArray<Grant>, untilMs: number): number => {
  let due = Number.POSITIVE_INFINITY
  for (const grant of grants)
    if (grant.warnedAt === null && isGrantDue(grant, untilMs)) due = Math.min(due, Date.parse(grant.expiresAt ?? ""))
  return due
}
