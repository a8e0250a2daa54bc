import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import { grantedOf } from "./Grant.ts"

/** What an account's entries say of its grants, folded one entry at a time (oldest first). */
export interface GrantLinks {
  /** What each grant has left by its entries' allocations, by grant id. */
  readonly remaining: Map<number, number>
  /** Entries whose allocations do not fit their amount, with the problem. */
  readonly problems: Array<{ readonly sequence: number; readonly problem: string }>
}

export const noGrantLinks = (): GrantLinks => ({ remaining: new Map(), problems: [] })

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
