import type { Entry } from "../Entry.ts"
import type { PendingCredit } from "./PendingCredit.ts"

/**
 * What must hold of an account's pending credits, recomputed from their rows: ids run from 1 to
 * their count, a pending one is unresolved, each activated one was credited by exactly one entry of
 * its kind (the one it names) of its amount or less (a clamp), and a voided or expired one credited
 * nothing. `entryAt` finds an entry of the account by its sequence.
 */
export const pendingCreditProblems = (
  credits: ReadonlyArray<PendingCredit>,
  entryAt: (sequence: number) => Entry | undefined,
): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const ids = new Set(credits.map((credit) => credit.pendingCreditId))
  if ([...ids].some((id) => id < 1 || id > ids.size)) problems.push(`pending credit ids are not 1 to ${ids.size}`)
  const credited = new Set<number>()
  for (const credit of credits) {
    const at = `pending credit ${credit.pendingCreditId}`
    if ((credit.status === "pending") !== (credit.resolvedAt === null))
      problems.push(`${at} is ${credit.status} with resolvedAt ${credit.resolvedAt}`)
    if (credit.status !== "activated") {
      if (credit.entrySequence !== null)
        problems.push(`${at} is ${credit.status} but names entry ${credit.entrySequence}`)
      continue
    }
    const entry = credit.entrySequence === null ? undefined : entryAt(credit.entrySequence)
    if (
      entry === undefined ||
      entry.kind !== credit.kind ||
      entry.requested !== credit.amount ||
      entry.amount < 1 ||
      entry.amount > credit.amount
    ) {
      problems.push(`${at} is activated without its ${credit.kind} entry of at most ${credit.amount}`)
    } else if (credited.has(entry.sequence)) {
      problems.push(`${at} names entry ${entry.sequence}, which credited another pending credit`)
    }
    if (credit.entrySequence !== null) credited.add(credit.entrySequence)
  }
  return problems
}
