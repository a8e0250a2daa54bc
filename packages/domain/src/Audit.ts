import type { AccountId } from "./AccountId.ts"
import { type AccountState, floorOf } from "./AccountState.ts"
import { autoTopUpProblems } from "./autoTopUp/AutoTopUpAudit.ts"
import type { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import { refundProblems } from "./corrections/RefundAudit.ts"
import type { Entry, EntryKind } from "./Entry.ts"
import type { Hold } from "./holds/Hold.ts"
import { holdProblems } from "./holds/HoldAudit.ts"
import { Limits } from "./Limits.ts"

/** One account as stored: its state, its whole history oldest first, its holds and its auto top-up requests. */
export interface AccountHistory {
  readonly accountId: AccountId
  readonly state: AccountState
  readonly entries: ReadonlyArray<Entry>
  readonly holds: ReadonlyArray<Hold>
  readonly autoTopUpRequests: ReadonlyArray<AutoTopUpRequest>
}

export interface Violation {
  readonly accountId: string
  /** The entry at fault, when one is. */
  readonly sequence: number | null
  readonly problem: string
}

export interface AuditReport {
  readonly accountsChecked: number
  readonly entriesChecked: number
  readonly violations: ReadonlyArray<Violation>
}

/** The direction each kind moves credits in; an adjustment goes either way. */
const direction: Record<EntryKind, 1 | -1 | 0> = {
  "top-up": 1,
  grant: 1,
  reversal: 1,
  usage: -1,
  refund: -1,
  adjustment: 0,
}

const entryProblem = (entry: Entry, expectedSequence: number, balanceBefore: number): string | undefined => {
  if (entry.sequence !== expectedSequence) return `sequence ${entry.sequence} where ${expectedSequence} was expected`
  const sign = direction[entry.kind]
  if (sign !== 0 && Math.sign(entry.amount) !== sign) return `a ${entry.kind} entry moves ${entry.amount}`
  if (entry.balanceAfter !== balanceBefore + entry.amount) {
    return `running balance ${entry.balanceAfter} is not ${balanceBefore} + ${entry.amount}`
  }
  if (entry.amount === 0 || Math.sign(entry.amount) !== Math.sign(entry.requested)) {
    return `amount ${entry.amount} does not move credits the way ${entry.requested} was requested`
  }
  if (Math.abs(entry.amount) > Math.abs(entry.requested))
    return `amount ${entry.amount} exceeds requested ${entry.requested}`
  if ((entry.decision === "Applied") !== (entry.amount === entry.requested)) {
    return `decision ${entry.decision} does not match amount ${entry.amount} of requested ${entry.requested}`
  }
  return undefined
}

/**
 * Recomputes one account's chain of running balances from zero and checks it against the stored
 * state: every entry follows from the previous one, the last equals the balance, bounds hold, the
 * holds account for what is held, refunds stay within what they refund, at most one auto top-up
 * request is open and each completed one was credited once. The available balance is
 * below the floor only in an account that an entry was allowed to overdraw.
 */
export const auditAccount = ({
  accountId,
  state,
  entries,
  holds,
  autoTopUpRequests,
}: AccountHistory): ReadonlyArray<Violation> => {
  const violations: Array<Violation> = []
  let balance = 0
  entries.forEach((entry, index) => {
    const problem = entryProblem(entry, index + 1, balance)
    if (problem !== undefined) violations.push({ accountId, sequence: entry.sequence, problem })
    balance = entry.balanceAfter
  })
  const problem = (text: string) => violations.push({ accountId, sequence: null, problem: text })
  if (balance !== state.balance) problem(`stored balance ${state.balance} differs from the running balance ${balance}`)
  if (entries.length !== state.sequence) problem(`${entries.length} entries where the account counts ${state.sequence}`)
  if (state.balance - state.held < floorOf(state) && !entries.some((entry) => entry.overdrawn)) {
    problem(`available balance ${state.balance - state.held} is below the floor ${floorOf(state)}`)
  }
  if (state.balance > Limits.balanceMax) problem(`balance ${state.balance} is above the largest balance`)
  for (const text of holdProblems(state, holds, entries)) problem(text)
  for (const text of autoTopUpProblems(state, autoTopUpRequests, entries)) problem(text)
  for (const { sequence, problem: text } of refundProblems(entries))
    violations.push({ accountId, sequence, problem: text })
  return violations
}
