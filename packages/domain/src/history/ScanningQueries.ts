import { Effect, Stream } from "effect"
import type { AccountId } from "../AccountId.ts"
import type { AccountHistory } from "../Audit.ts"
import type { Entry, EntryKind } from "../Entry.ts"
import type { LedgerUnavailable } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { refillDueAtMs } from "../refills/Refill.ts"
import { compareLedgerOrder, matchesFilter } from "./EntryOrder.ts"

type Store = LedgerStore["Service"]

/** Accounts read per page of the scan, as the audit reads them. */
const accountsPerPage = 200

/**
 * The read side of the storage port (history queries, holds) answered by scanning every account's
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
  | "dueHolds"
  | "autoTopUpRequest"
  | "dueAutoTopUpRequests"
  | "dueRefills"
  | "totals"
  | "search"
  | "exportEntries"
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
  const entriesNewestFirst = Effect.map(everything, (all) =>
    all.flatMap((history) => history.entries).sort((a, b) => compareLedgerOrder(b, a)),
  )

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
    dueHolds: (now, limit) =>
      Effect.map(everything, (all) =>
        all
          .flatMap((history) => history.holds)
          .filter((hold) => hold.status === "open" && hold.expiresAt !== null && hold.expiresAt <= now)
          .sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!))
          .slice(0, limit)
          .map((hold) => ({ accountId: hold.accountId, holdId: hold.holdId })),
      ),
    autoTopUpRequest: (accountId, requestId) =>
      Effect.map(one(accountId), (history) =>
        history?.autoTopUpRequests.find((request) => request.requestId === requestId),
      ),
    dueAutoTopUpRequests: (now, limit) =>
      Effect.map(everything, (all) =>
        all
          .flatMap((history) => history.autoTopUpRequests)
          .filter((request) => request.status === "open" && request.expiresAt <= now)
          .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))
          .slice(0, limit)
          .map((request) => ({ accountId: request.accountId, requestId: request.requestId })),
      ),
    dueRefills: (nowMs, limit) =>
      Effect.map(everything, (all) =>
        all
          .map((history) => ({ accountId: history.accountId, dueAtMs: refillDueAtMs(history.state.refill) }))
          .filter(
            (due): due is { accountId: AccountId; dueAtMs: number } => due.dueAtMs !== null && due.dueAtMs <= nowMs,
          )
          .sort((a, b) => a.dueAtMs - b.dueAtMs)
          .slice(0, limit)
          .map((due) => due.accountId),
      ),
    totals: (accountId, filter) =>
      Effect.map(one(accountId), (history) => {
        const totals = new Map<EntryKind, { entries: number; amount: number }>()
        for (const entry of history?.entries ?? []) {
          if (!matchesFilter(entry, filter)) continue
          const total = totals.get(entry.kind) ?? { entries: 0, amount: 0 }
          totals.set(entry.kind, { entries: total.entries + 1, amount: total.amount + entry.amount })
        }
        return [...totals].map(([kind, total]) => ({ kind, ...total })).sort((a, b) => (a.kind < b.kind ? -1 : 1))
      }),
    search: ({ accountId, limit, after, ...filter }) =>
      Effect.map(entriesNewestFirst, (entries) =>
        entries
          .filter(
            (entry) =>
              (accountId === undefined || entry.accountId === accountId) &&
              (after === undefined || compareLedgerOrder(entry, after) < 0) &&
              matchesFilter(entry, filter),
          )
          .slice(0, limit),
      ),
    exportEntries: ({ accountId, ...filter }) =>
      Stream.unwrap(
        Effect.map(entriesNewestFirst, (entries) =>
          Stream.fromIterable(
            [...entries]
              .reverse()
              .filter(
                (entry: Entry) =>
                  (accountId === undefined || entry.accountId === accountId) && matchesFilter(entry, filter),
              ),
          ),
        ),
      ),
  }
}
