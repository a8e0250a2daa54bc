import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import { type Grant, grantedOf } from "./Grant.ts"

/** What an account's entries say of its grants, folded one entry at a time (oldest first). */
export interface GrantLinks {
  /** What each grant has left by its entries' allocations, by grant id. */
  readonly remaining: Map<number, number>
  /** What the credit that made each grant credited: the grant's `amount`. */
  readonly made: Map<number, number>
  /** What expiry entries took from each grant. */
  readonly expired: Map<number, number>
  /** Entries whose allocations do not fit their amount, with the problem. */
  readonly problems: Array<{ readonly sequence: number; readonly problem: string }>
}

export const noGrantLinks = (): GrantLinks => ({
  remaining: new Map(),
  made: new Map(),
  expired: new Map(),
  problems: [],
})

export const addGrantLink = (links: GrantLinks, entry: Entry) => {
  const { allocations } = entry
  if (entry.kind === "expiry" && (allocations === undefined || allocations.length === 0))
    links.problems.push({ sequence: entry.sequence, problem: "an expiry entry names no grant" })
  if (allocations === undefined) return
  const problem = (text: string) => links.problems.push({ sequence: entry.sequence, problem: text })
  let moved = 0
  for (const { grantId, amount } of allocations) {
    if (amount === 0 || Math.sign(amount) !== Math.sign(entry.amount))
      problem(`allocation ${amount} to grant ${grantId} does not move credits as the entry's ${entry.amount}`)
    if (amount > 0 && grantId !== entry.sequence) problem(`a credit fills grant ${grantId}, not its own`)
    if (amount > 0) links.made.set(grantId, entry.amount)
    if (entry.kind === "expiry") links.expired.set(grantId, (links.expired.get(grantId) ?? 0) - amount)
    const after = (links.remaining.get(grantId) ?? 0) + amount
    if (after < 0) problem(`grant ${grantId} goes to ${after}`)
    links.remaining.set(grantId, after)
    moved += amount
  }
  if (Math.abs(moved) > Math.abs(entry.amount))
    problem(`allocations move ${moved}, more than the entry's ${entry.amount}`)
  if (entry.kind === "expiry" && moved !== entry.amount)
    problem(`an expiry of ${entry.amount} takes ${moved} from its grants`)
}

/**
 * What must hold of an account's grants, recomputed from its entries: each live grant keeps what its
 * entries' allocations left of it, a grant with credits left is live, and the live grants hold no more
 * than the balance (none of it while the balance is negative).
 */
export const grantProblems = (state: AccountState, links: GrantLinks): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const live = new Map(state.grants.map((grant) => [grant.grantId, grant.remaining]))
  for (const [grantId, remaining] of live) {
    const folded = links.remaining.get(grantId) ?? 0
    if (folded !== remaining) problems.push(`grant ${grantId} keeps ${remaining} but its entries leave ${folded}`)
  }
  for (const [grantId, folded] of links.remaining)
    if (folded > 0 && !live.has(grantId)) problems.push(`grant ${grantId} has ${folded} left but is not live`)
  const granted = grantedOf(state.grants)
  if (granted > Math.max(state.balance, 0))
    problems.push(`live grants hold ${granted}, more than the balance ${state.balance}`)
  return problems
}

/**
 * The account's grants table against its entries, a page of rows at a time: each row keeps what its
 * entries' allocations leave of it, is of what its credit credited, has expired what its expiry
 * entries took, and is live exactly when it is among the account's live grants; every grant the
 * entries moved credits in or out of has a row, and so has every live grant. Undefined for an account
 * that never had a grant: it reads no table.
 */
export interface GrantTableCheck {
  readonly add: (row: Grant) => void
  readonly finish: () => ReadonlyArray<string>
}

export const grantTableCheck = (state: AccountState, links: GrantLinks): GrantTableCheck | undefined => {
  if (state.grants.length === 0 && links.remaining.size === 0) return undefined
  const problems: Array<string> = []
  const live = new Set(state.grants.map((grant) => grant.grantId))
  const seen = new Set<number>()
  return {
    add: (row) => {
      const id = row.grantId
      seen.add(id)
      const remaining = links.remaining.get(id) ?? 0
      if (row.remaining !== remaining)
        problems.push(`grant ${id} keeps ${row.remaining} in the grants table but its entries leave ${remaining}`)
      const made = links.made.get(id)
      if (made !== undefined && made !== row.amount)
        problems.push(`grant ${id} is of ${row.amount} in the grants table but its credit credited ${made}`)
      const expired = links.expired.get(id) ?? 0
      if (row.expired !== expired)
        problems.push(
          `grant ${id} has ${row.expired} expired in the grants table but its expiry entries took ${expired}`,
        )
      if ((row.status === "live") !== live.has(id))
        problems.push(
          row.status === "live"
            ? `grant ${id} is live in the grants table but not among the account's live grants`
            : `grant ${id} is live on the account but ${row.status} in the grants table`,
        )
    },
    finish: () => {
      for (const id of links.remaining.keys())
        if (!seen.has(id)) problems.push(`grant ${id} moved credits but has no row in the grants table`)
      for (const id of live) if (!seen.has(id)) problems.push(`live grant ${id} has no row in the grants table`)
      return problems
    },
  }
}
