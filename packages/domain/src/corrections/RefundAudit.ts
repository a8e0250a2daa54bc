import type { Entry } from "../Entry.ts"

/**
 * What must hold of an account's refunds: each refunds an earlier entry that added credits, and the
 * refunds of one entry never sum past it. Folded over the account's entries oldest first, keeping
 * only the amounts of the entries refunds name (`refundedSequences`) and what was refunded of each.
 */
export interface RefundChecks {
  readonly targets: ReadonlySet<number>
  /** The amounts of the refunded entries seen so far, by sequence. */
  readonly amounts: Map<number, number>
  readonly refunded: Map<number, number>
  readonly problems: Array<{ sequence: number; problem: string }>
}

export const refundChecks = (refundedSequences: Iterable<number>): RefundChecks => ({
  targets: new Set(refundedSequences),
  amounts: new Map(),
  refunded: new Map(),
  problems: [],
})

export const addRefund = (checks: RefundChecks, entry: Entry) => {
  const { targets, amounts, refunded, problems } = checks
  if (targets.has(entry.sequence)) amounts.set(entry.sequence, entry.amount)
  if ((entry.kind === "refund") !== (entry.refundOf !== null)) {
    problems.push({ sequence: entry.sequence, problem: `a ${entry.kind} entry with refundOf ${entry.refundOf}` })
    return
  }
  if (entry.refundOf === null) return
  // Only an entry before this one has been seen: a later one is as missing as one that does not exist.
  const target = entry.refundOf >= entry.sequence ? undefined : amounts.get(entry.refundOf)
  if (target === undefined || target <= 0) {
    problems.push({
      sequence: entry.sequence,
      problem: `refunds entry ${entry.refundOf}, which added no credits before it`,
    })
    return
  }
  const total = (refunded.get(entry.refundOf) ?? 0) - entry.amount
  refunded.set(entry.refundOf, total)
  if (total > target) {
    problems.push({
      sequence: entry.sequence,
      problem: `refunds of entry ${entry.refundOf} sum to ${total}, past its ${target}`,
    })
  }
}
