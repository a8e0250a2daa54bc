import type { AccountId } from "../AccountId.ts"
import { applied } from "../Decision.ts"
import type { Entry } from "../Entry.ts"
import type { NewLedgerEvent } from "../events/LedgerEvent.ts"
import { afterEntry, nextEntry, type Step } from "../Posting.ts"
import { expireGrants, warnExpiringGrants } from "./Expiry.ts"
import type { Grant } from "./Grant.ts"

/** What an expiry run did on one account: the `expiry` entry and the grants it took from, or nothing was due. */
export type GrantExpiry =
  | { readonly _tag: "NothingDue" }
  | { readonly _tag: "Expired"; readonly entry: Entry; readonly grants: ReadonlyArray<Grant> }

const grantExpired = (grant: Grant, amount: number, entry: Entry): NewLedgerEvent => ({
  type: "grant.expired",
  accountId: grant.accountId,
  createdAt: entry.createdAt,
  data: { grant, amount, entrySequence: entry.sequence },
})

/**
 * Expires what is due at `nowMs` of the account's grants, as one `expiry` entry that records what it
 * took from each (`expireGrants` says what is due), with a `grant.expired` event per grant. It needs
 * no key: run again, it finds nothing due and changes nothing.
 */
export const expire =
  (accountId: AccountId, nowMs: number): Step<GrantExpiry> =>
  ({ state }) => {
    if (state.grants.length === 0) return { result: { _tag: "NothingDue" } }
    const at = new Date(nowMs).toISOString()
    const movement = expireGrants(state.grants, state.held, nowMs, at)
    if (movement.allocations.length === 0) return { result: { _tag: "NothingDue" } }
    const total = movement.allocations.reduce((sum, allocation) => sum - allocation.amount, 0)
    const entry: Entry = {
      ...nextEntry(accountId, state, applied(state.balance, -total), { kind: "expiry", createdAt: at }),
      allocations: movement.allocations,
    }
    const events = movement.changed.map((grant, index) =>
      grantExpired(grant, -movement.allocations[index]!.amount, entry),
    )
    return {
      result: { _tag: "Expired", entry, grants: movement.changed },
      state: { ...afterEntry(state, entry), grants: movement.live },
      entry,
      grants: movement.changed,
      events,
    }
  }

/** What a warning pass did on one account: the grants it warned of, or none was due a warning. */
export type GrantWarning =
  | { readonly _tag: "NothingToWarn" }
  | { readonly _tag: "Warned"; readonly grants: ReadonlyArray<Grant> }

const grantExpiring = (grant: Grant, at: string): NewLedgerEvent => ({
  type: "grant.expiring",
  accountId: grant.accountId,
  createdAt: at,
  data: { grant, amount: grant.remaining, expiresAt: grant.expiresAt ?? at },
})

/**
 * Warns of the account's live grants whose expiry is within `leadMs` of `nowMs`: a `grant.expiring`
 * event each, and the grant marked `warnedAt`, so each grant is warned of once whoever runs the pass
 * and however often. It needs no key: run again, it finds nothing to warn of and changes nothing.
 */
export const warnExpiring =
  (nowMs: number, leadMs: number): Step<GrantWarning> =>
  ({ state }) => {
    if (state.grants.length === 0) return { result: { _tag: "NothingToWarn" } }
    const at = new Date(nowMs).toISOString()
    const { live, warned } = warnExpiringGrants(state.grants, nowMs + leadMs, at)
    if (warned.length === 0) return { result: { _tag: "NothingToWarn" } }
    return {
      result: { _tag: "Warned", grants: warned },
      state: { ...state, grants: live },
      grants: warned,
      events: warned.map((grant) => grantExpiring(grant, at)),
    }
  }
