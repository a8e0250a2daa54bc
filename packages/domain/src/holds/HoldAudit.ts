import type { AccountState } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import type { Hold } from "./Hold.ts"

/**
 * What must hold of an account's holds, recomputed from its rows: the account's `held` is what its
 * open holds still reserve, no hold is captured past its reservation, each hold's captures are the
 * usage entries linked to it, and hold ids run from 1 to the account's count.
 */
export const holdProblems = (
  state: AccountState,
  holds: ReadonlyArray<Hold>,
  entries: ReadonlyArray<Entry>,
): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const captures = new Map<number, number>()
  for (const entry of entries) {
    if (entry.holdId === null) continue
    if (entry.kind !== "usage") problems.push(`entry ${entry.sequence} links hold ${entry.holdId} but is ${entry.kind}`)
    captures.set(entry.holdId, (captures.get(entry.holdId) ?? 0) - entry.amount)
  }
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
