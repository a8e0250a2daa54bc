import { Effect } from "effect"
import type { AccountId } from "./AccountId.ts"
import { type AccountAudit, type AuditPosition, type AuditReport, accountAudit, type Violation } from "./Audit.ts"
import type { LedgerUnavailable } from "./LedgerError.ts"
import type { LedgerStore } from "./LedgerStore.ts"
import { Limits } from "./Limits.ts"

/** Accounts per page of the audit's scan, so memory stays bounded on large ledgers. */
const auditPageAccounts = 200
/** Entries per page of the audit's scan, so memory stays bounded whatever one account holds. */
const auditPageEntries = 5_000

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
      for (const account of audits.values()) violations.push(...account.finish())
      accountsChecked += accounts.length
      if (accounts.length < auditPageAccounts) return { accountsChecked, entriesChecked, violations }
      after = last.accountId
    }
  }).pipe(Effect.withSpan("Ledger.audit")),
})
