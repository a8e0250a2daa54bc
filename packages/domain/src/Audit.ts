import type { AccountId } from "./AccountId.ts"
import type { AccountState } from "./AccountState.ts"
import type { Entry } from "./Entry.ts"
import { Limits } from "./Limits.ts"

/** One account as stored: its state and its whole history, oldest first. */
export interface AccountHistory {
  readonly accountId: AccountId
  readonly state: AccountState
  readonly entries: ReadonlyArray<Entry>
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

const entryProblem = (entry: Entry, expectedSequence: number, balanceBefore: number): string | undefined => {
  if (entry.sequence !== expectedSequence) return `sequence ${entry.sequence} where ${expectedSequence} was expected`
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
 * state: every entry follows from the previous one, the last equals the balance, bounds hold.
 */
export const auditAccount = ({ accountId, state, entries }: AccountHistory): ReadonlyArray<Violation> => {
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
  if (state.balance < -state.overdraftLimit)
    problem(`balance ${state.balance} is below the floor ${-state.overdraftLimit}`)
  if (state.balance > Limits.balanceMax) problem(`balance ${state.balance} is above the largest balance`)
  return violations
}
