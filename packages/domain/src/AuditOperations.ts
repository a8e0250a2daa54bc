import * as Effect from "effect/Effect"
import type { AccountId } from "./AccountId.ts"
import {
  type AccountAudit,
  type AuditedAccount,
  type AuditPosition,
  type AuditReport,
  accountAudit,
  type Violation,
} from "./Audit.ts"
import type { GrantTableCheck } from "./grants/GrantAudit.ts"
import type { LedgerUnavailable } from "./LedgerError.ts"
import type { LedgerStore } from "./LedgerStore.ts"
import { Limits } from "./Limits.ts"

/** Accounts per page of the audit's scan, so memory stays bounded on large ledgers. */
const auditPageAccounts = 200
/** Entries per page of the audit's scan, so memory stays bounded whatever one account holds. */
const auditPageEntries = 5_000
/** Grants per page of an account's grants table, for the same reason. */
const auditPageGrants = 1_000

/**
 * The account's grants table against its entries (`grantTableCheck`), read a page at a time. Rows are
 * read after the entries, so a write since could make them disagree: the account is read again, and
 * its table compared only when neither its entries nor its grants changed meanwhile (the next audit
 * compares it).
 */
const grantTableProblems = (
  store: LedgerStore["Service"],
  audited: AuditedAccount,
  check: GrantTableCheck | undefined,
): Effect.Effect<ReadonlyArray<string>, LedgerUnavailable> =>
  Effect.gen(function* () {
    if (check === undefined) return []
    let before: number | undefined
    while (true) {
      const rows = yield* store.grants(audited.accountId, auditPageGrants, before)
      for (const row of rows) check.add(row)
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < auditPageGrants) break
      before = last.grantId
    }
    const now = yield* store.account(audited.accountId)
    const unchanged =
      now.sequence === audited.lastEntrySequence && JSON.stringify(now.grants) === JSON.stringify(audited.state.grants)
    return unchanged ? check.finish() : []
  })

export interface AuditOperations {
  readonly audit: Effect.Effect<AuditReport, LedgerUnavailable>
}

export const auditOperations = (store: LedgerStore["Service"]): AuditOperations => ({
  /**
   * Every account, a page of accounts at a time; each page's entries in keyset pages of bounded
   * size, folded into their accounts' audits as they come.
   */
  audit: Effect.gen(function* () {
    const violations: Array<Violation> = []
    let accountsChecked = 0
    let entriesChecked = 0
    let after: AccountId | undefined
    while (true) {
      const accounts = yield* store.auditAccounts(after, auditPageAccounts)
      const last = accounts[accounts.length - 1]
      if (last === undefined) return { accountsChecked, entriesChecked, violations }
      const audits = new Map<string, AccountAudit>(
        accounts.map((account) => [account.accountId, accountAudit(account)]),
      )
      // Past every sequence: the first page starts after the previous page's last account.
      let position: AuditPosition = { accountId: after ?? "", sequence: Limits.balanceMax }
      while (true) {
        const entries = yield* store.auditEntries(position, last.accountId, auditPageEntries)
        for (const entry of entries) if (audits.get(entry.accountId)?.add(entry)) entriesChecked += 1
        const end = entries[entries.length - 1]
        if (end === undefined || entries.length < auditPageEntries) break
        position = { accountId: end.accountId, sequence: end.sequence }
      }
      for (const audited of accounts) {
        const account = audits.get(audited.accountId)!
        for (const problem of yield* grantTableProblems(store, audited, account.grantTable()))
          violations.push({ accountId: audited.accountId, sequence: null, problem })
        violations.push(...account.finish())
      }
      accountsChecked += accounts.length
      if (accounts.length < auditPageAccounts) return { accountsChecked, entriesChecked, violations }
      after = last.accountId
    }
  }).pipe(Effect.withSpan("Ledger.audit")),
})
