import type { AccountId } from "./AccountId.ts"
import { type AccountState, floorOf } from "./AccountState.ts"
import { autoTopUpProblems } from "./autoTopUp/AutoTopUpAudit.ts"
import type { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import { addRefund, refundChecks } from "./corrections/RefundAudit.ts"
import type { Entry, EntryKind } from "./Entry.ts"
import {
  addGrantLink,
  type GrantTableCheck,
  grantProblems,
  grantTableCheck,
  noGrantLinks,
} from "./grants/GrantAudit.ts"
import type { Hold } from "./holds/Hold.ts"
import { addHoldLink, holdProblems, noHoldLinks } from "./holds/HoldAudit.ts"
import { Limits } from "./Limits.ts"
import type { PendingCredit } from "./pendingCredits/PendingCredit.ts"
import { pendingCreditProblems } from "./pendingCredits/PendingCreditAudit.ts"

/** One account as stored: its state, its whole history oldest first, its holds and its auto top-up requests. */
export interface AccountHistory {
  readonly accountId: AccountId
  readonly state: AccountState
  readonly entries: ReadonlyArray<Entry>
  readonly holds: ReadonlyArray<Hold>
  readonly autoTopUpRequests: ReadonlyArray<AutoTopUpRequest>
  readonly pendingCredits: ReadonlyArray<PendingCredit>
}

/**
 * An account as the audit reads it before its entries, which it then reads a page at a time: its
 * state, holds and auto top-up requests, all as of one moment, with what the entries held then.
 */
export interface AuditedAccount {
  readonly accountId: AccountId
  readonly state: AccountState
  readonly holds: ReadonlyArray<Hold>
  readonly autoTopUpRequests: ReadonlyArray<AutoTopUpRequest>
  readonly pendingCredits: ReadonlyArray<PendingCredit>
  /**
   * Its newest entry's sequence at that moment (0 without entries): entries after it were written
   * since (entries are only ever appended), and are left out.
   */
  readonly lastEntrySequence: number
  /** The sequences of the entries its refunds refund, at that moment. */
  readonly refundedSequences: ReadonlyArray<number>
}

/** Where the audit's pages of entries stand: entries come in (account id, sequence) order. */
export interface AuditPosition {
  readonly accountId: string
  readonly sequence: number
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
  expiry: -1,
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

/** One account's audit, folded over its entries oldest first: `add` each, then `finish`. */
export interface AccountAudit {
  /** Checks the next entry, and says so; one past the account's `lastEntrySequence` is left out. */
  readonly add: (entry: Entry) => boolean
  /** The violations, the entries' first, in the order `auditAccount` lists them. */
  readonly finish: () => ReadonlyArray<Violation>
  /** Once its entries are in: the check of its grants table against them, if it ever had a grant. */
  readonly grantTable: () => GrantTableCheck | undefined
}

/**
 * Recomputes one account's chain of running balances from zero and checks it against the stored
 * state: every entry follows from the previous one, the last equals the balance, bounds hold, the
 * holds account for what is held, refunds stay within what they refund, at most one auto top-up
 * request is open and each completed one was credited once, each activated pending credit once. The available balance is
 * below the floor only in an account that an entry was allowed to overdraw. It keeps per entry only
 * what later checks need (the running balance, what each hold captured, the amounts of refunded
 * entries and of those auto top-up requests name), so an account of any length is audited in
 * bounded memory.
 */
export const accountAudit = ({
  accountId,
  state,
  holds,
  autoTopUpRequests,
  pendingCredits,
  lastEntrySequence,
  refundedSequences,
}: AuditedAccount): AccountAudit => {
  const violations: Array<Violation> = []
  let balance = 0
  let count = 0
  let overdrawn = false
  const links = noHoldLinks()
  const grants = noGrantLinks()
  const refunds = refundChecks(refundedSequences)
  const named = new Set([
    ...autoTopUpRequests.map((request) => request.entrySequence),
    ...pendingCredits.map((credit) => credit.entrySequence),
  ])
  const credits = new Map<number, Entry>()
  return {
    add: (entry) => {
      if (entry.sequence > lastEntrySequence) return false
      count += 1
      const problem = entryProblem(entry, count, balance)
      if (problem !== undefined) violations.push({ accountId, sequence: entry.sequence, problem })
      balance = entry.balanceAfter
      overdrawn ||= entry.overdrawn
      addHoldLink(links, entry)
      addGrantLink(grants, entry)
      addRefund(refunds, entry)
      if (named.has(entry.sequence)) credits.set(entry.sequence, entry)
      return true
    },
    finish: () => {
      const problem = (text: string) => violations.push({ accountId, sequence: null, problem: text })
      if (balance !== state.balance)
        problem(`stored balance ${state.balance} differs from the running balance ${balance}`)
      if (count !== state.sequence) problem(`${count} entries where the account counts ${state.sequence}`)
      if (state.balance - state.held < floorOf(state) && !overdrawn) {
        problem(`available balance ${state.balance - state.held} is below the floor ${floorOf(state)}`)
      }
      if (state.balance > Limits.balanceMax) problem(`balance ${state.balance} is above the largest balance`)
      for (const text of holdProblems(state, holds, links)) problem(text)
      for (const text of grantProblems(state, grants)) problem(text)
      for (const { sequence, problem: text } of grants.problems) violations.push({ accountId, sequence, problem: text })
      for (const text of autoTopUpProblems(state, autoTopUpRequests, (sequence) => credits.get(sequence))) problem(text)
      for (const text of pendingCreditProblems(pendingCredits, (sequence) => credits.get(sequence))) problem(text)
      for (const { sequence, problem: text } of refunds.problems)
        violations.push({ accountId, sequence, problem: text })
      return violations
    },
    grantTable: () => grantTableCheck(state, grants),
  }
}

/** A history read whole, as the audit reads an account before its entries. */
export const auditedAccountOf = ({ entries, ...account }: AccountHistory): AuditedAccount => ({
  ...account,
  lastEntrySequence: entries.reduce((last, entry) => Math.max(last, entry.sequence), 0),
  refundedSequences: [...new Set(entries.flatMap((entry) => (entry.refundOf === null ? [] : [entry.refundOf])))],
})

/** `accountAudit` over a history read whole. */
export const auditAccount = (history: AccountHistory): ReadonlyArray<Violation> => {
  const audit = accountAudit(auditedAccountOf(history))
  for (const entry of history.entries) audit.add(entry)
  return audit.finish()
}
