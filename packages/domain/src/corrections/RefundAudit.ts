import type { Entry } from "../Entry.ts"

/**
 * What must hold of an account's refunds: each refunds an earlier entry that added credits, and the
 * refunds of one entry never sum past it. `entries[i]` has sequence i + 1.
 */
export const refundProblems = (entries: ReadonlyArray<Entry>): ReadonlyArray<{ sequence: number; problem: string }> => {
  const problems: Array<{ sequence: number; problem: string }> = []
  const refunded = new Map<number, number>()
  for (const entry of entries) {
    if ((entry.kind === "refund") !== (entry.refundOf !== null)) {
      problems.push({ sequence: entry.sequence, problem: `a ${entry.kind} entry with refundOf ${entry.refundOf}` })
      continue
    }
    if (entry.refundOf === null) continue
    const target = entries[entry.refundOf - 1]
    if (target === undefined || entry.refundOf >= entry.sequence || target.amount <= 0) {
      problems.push({
        sequence: entry.sequence,
        problem: `refunds entry ${entry.refundOf}, which added no credits before it`,
      })
      continue
    }
    const total = (refunded.get(entry.refundOf) ?? 0) - entry.amount
    refunded.set(entry.refundOf, total)
    if (total > target.amount) {
      problems.push({
        sequence: entry.sequence,
        problem: `refunds of entry ${entry.refundOf} sum to ${total}, past its ${target.amount}`,
      })
    }
  }
  return problems
}
