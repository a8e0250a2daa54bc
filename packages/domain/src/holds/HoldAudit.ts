import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import type { Hold } from "./Hold.ts"

/** What an account's entries say of its holds, folded one entry at a time (oldest first). */
export interface HoldLinks {
  /** What each hold's linked entries captured, by hold id. */
  readonly captures: Map<number, number>
  /** Entries that link a hold but are not usage, in entry order. */
  readonly problems: Array<string>
}

export const noHoldLinks = (): HoldLinks => ({ captures: new Map(), problems: [] })

export const addHoldLink = (links: HoldLinks, entry: Entry) => {
  if (entry.holdId === null) return
  if (entry.kind !== "usage")
    links.problems.push(`entry ${entry.sequence} links hold ${entry.holdId} but is ${entry.kind}`)
  links.captures.set(entry.holdId, (links.captures.get(entry.holdId) ?? 0) - entry.amount)
}

/**
 * What must hold of an account's holds, recomputed from its rows: the account's `held` is what its
 * open holds still reserve, no hold is captured past its reservation, each hold's captures are the
 * usage entries linked to it (`links`, folded over its entries), and hold ids run from 1 to the
 * account's count.
 */
export const holdProblems = (
  state: AccountState,
  holds: ReadonlyArray<Hold>,
  links: HoldLinks,
): ReadonlyArray<string> => {
  const { captures } = links
  const problems: Array<string> = [...links.problems]
  let reserved = 0
  const ids = new Set<number>()
  for (const hold of holds) {
    const at = `hold ${hold.holdId}`
    ids.add(hold.holdId)
    if (hold.captured < 0 || hold.captured > hold.amount)
      problems.push(`${at} captured ${hold.captured} of ${hold.amount}`)
    if (hold.amount < 1 || hold.amount > hold.requested)
      problems.push(`${at} reserves ${hold.amount} of ${hold.requested} requested`)
    if (hold.excess < 0 || (hold.excess > 0 && hold.status !== "captured"))
      problems.push(`${at} has excess ${hold.excess} while ${hold.status}`)
    if ((hold.status === "open") !== (hold.resolvedAt === null))
      problems.push(`${at} is ${hold.status} with resolvedAt ${hold.resolvedAt}`)
    if (hold.status === "captured" && hold.captured + hold.excess === 0)
      problems.push(`${at} is captured with nothing captured`)
    const linked = captures.get(hold.holdId) ?? 0
    if (linked !== hold.captured + hold.excess) {
      problems.push(`${at} records ${hold.captured + hold.excess} captured but its entries capture ${linked}`)
    }
    if (hold.status === "open") reserved += hold.amount - hold.captured
  }
  for (const holdId of captures.keys())
    if (!ids.has(holdId)) problems.push(`entries capture hold ${holdId}, which does not exist`)
  if (reserved !== state.held) problems.push(`held ${state.held} differs from the ${reserved} its open holds reserve`)
  if (ids.size !== state.holdsPlaced || [...ids].some((id) => id < 1 || id > state.holdsPlaced)) {
    problems.push(`hold ids are not 1 to ${state.holdsPlaced}`)
  }
  return problems
}
