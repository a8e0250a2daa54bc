import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { AccountId } from "../AccountId.ts"
import { type AccountHistory, auditedAccountOf } from "../Audit.ts"
import type { LedgerUnavailable } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { duePendingCreditsOf, pendingCreditsPageOf } from "../pendingCredits/PendingCreditQueries.ts"
import { runsOf } from "../runs/Run.ts"
import { accountsPageOf, summaryOf } from "./AccountActivity.ts"
import { matchesFilter } from "./EntryOrder.ts"
import {
  dueAutoTopUpRequestsOf,
  dueHoldsOf,
  dueRefillsOf,
  exportOf,
  newestFirst,
  openHoldsOf,
  searchOf,
  totalsOf,
} from "./MemoryQueries.ts"

type Store = LedgerStore["Service"]

/** Accounts read per page of the scan, as the audit reads them. */
const accountsPerPage = 200

/**
 * The read side of the storage port (history queries, holds, the audit's pages) answered by scanning every account's
 * history through `histories`: for a store without indexes of its own, such as a key-value store or
 * a test double, whose ledgers stay small. A store with indexes answers them itself, as the
 * PostgreSQL store does. Each query reads every account, so its cost grows with the whole ledger.
 */
export const scanningQueries = (
  histories: Store["histories"],
): Pick<
  Store,
  | "entries"
  | "hold"
  | "openHolds"
  | "dueHolds"
  | "autoTopUpRequest"
  | "dueAutoTopUpRequests"
  | "pendingCredit"
  | "pendingCredits"
  | "duePendingCredits"
  | "dueRefills"
  | "totals"
  | "runs"
  | "accounts"
  | "search"
  | "exportEntries"
  | "auditAccounts"
  | "auditEntries"
> => {
  const everything: Effect.Effect<ReadonlyArray<AccountHistory>, LedgerUnavailable> = Effect.gen(function* () {
    const all: Array<AccountHistory> = []
    let after: AccountId | undefined
    while (true) {
      const page = yield* histories(after, accountsPerPage)
      all.push(...page)
      if (page.length < accountsPerPage) return all
      after = page[page.length - 1]!.accountId
    }
  })
  const one = (accountId: AccountId) =>
    Effect.map(everything, (all) => all.find((history) => history.accountId === accountId))
  const entriesNewestFirst = Effect.map(everything, (all) => newestFirst(all.flatMap((history) => history.entries)))

  return {
    entries: (accountId, { limit, beforeSequence, ...filter }) =>
      Effect.map(one(accountId), (history) =>
        (history?.entries ?? [])
          .filter((entry) => entry.sequence < (beforeSequence ?? Infinity) && matchesFilter(entry, filter))
          .reverse()
          .slice(0, limit),
      ),
    hold: (accountId, holdId) =>
      Effect.map(one(accountId), (history) => history?.holds.find((hold) => hold.holdId === holdId)),
    openHolds: (accountId, limit) => Effect.map(one(accountId), (history) => openHoldsOf(history?.holds ?? [], limit)),
    dueHolds: (now, limit) =>
      Effect.map(everything, (all) =>
        dueHoldsOf(
          all.flatMap((history) => history.holds),
          now,
          limit,
        ),
      ),
    autoTopUpRequest: (accountId, requestId) =>
      Effect.map(one(accountId), (history) =>
        history?.autoTopUpRequests.find((request) => request.requestId === requestId),
      ),
    dueAutoTopUpRequests: (now, limit) =>
      Effect.map(everything, (all) =>
        dueAutoTopUpRequestsOf(
          all.flatMap((history) => history.autoTopUpRequests),
          now,
          limit,
        ),
      ),
    pendingCredit: (accountId, pendingCreditId) =>
      Effect.map(one(accountId), (history) =>
        history?.pendingCredits.find((credit) => credit.pendingCreditId === pendingCreditId),
      ),
    pendingCredits: (accountId, query) =>
      Effect.map(one(accountId), (history) => pendingCreditsPageOf(history?.pendingCredits ?? [], query)),
    duePendingCredits: (now, limit) =>
      Effect.map(everything, (all) =>
        duePendingCreditsOf(
          all.flatMap((history) => history.pendingCredits),
          now,
          limit,
        ),
      ),
    dueRefills: (nowMs, limit) => Effect.map(everything, (all) => dueRefillsOf(all, nowMs, limit)),
    totals: (accountId, filter) => Effect.map(one(accountId), (history) => totalsOf(history?.entries ?? [], filter)),
    runs: (accountId, query) => Effect.map(one(accountId), (history) => runsOf(history?.entries ?? [], query)),
    accounts: (query) =>
      Effect.map(everything, (all) =>
        accountsPageOf(
          all.flatMap(({ accountId, state, entries }) => summaryOf(accountId, state, entries.at(-1)) ?? []),
          query,
        ),
      ),
    search: (query) => Effect.map(entriesNewestFirst, (entries) => searchOf(entries, query)),
    exportEntries: (query) =>
      Stream.unwrap(Effect.map(entriesNewestFirst, (entries) => Stream.fromIterable(exportOf(entries, query)))),
    auditAccounts: (afterAccountId, accountsMax) =>
      Effect.map(histories(afterAccountId, accountsMax), (page) => page.map(auditedAccountOf)),
    auditEntries: (after, throughAccountId, limit) =>
      Effect.map(everything, (all) =>
        all
          .filter(({ accountId }) => accountId >= after.accountId && accountId <= throughAccountId)
          .flatMap(({ accountId, entries }) =>
            accountId === after.accountId ? entries.filter((entry) => entry.sequence > after.sequence) : entries,
          )
          .slice(0, limit),
      ),
  }
}
