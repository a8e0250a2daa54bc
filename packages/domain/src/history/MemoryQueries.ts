import type { AccountId } from "../AccountId.ts"
import type { AccountState } from "../AccountState.ts"
import type { AutoTopUpRequest } from "../autoTopUp/AutoTopUpRequest.ts"
import type { Entry, EntryKind } from "../Entry.ts"
import type { Hold } from "../holds/Hold.ts"
import type { DueAutoTopUpRequest, DueHold, ExportQuery, KindTotal, SearchQuery, TotalsQuery } from "../LedgerStore.ts"
import { refillDueAtMs } from "../refills/Refill.ts"
import { compareLedgerOrder, matchesFilter } from "./EntryOrder.ts"

/**
 * The storage port's queries over entries and holds already in memory: for the in-memory store, and
 * for `scanningQueries` over any store's histories. Each reads everything it is given.
 */

/** An account's entries summed per kind, in kind order; grouped by member, per member (null first) and kind. */
export const totalsOf = (entries: Iterable<Entry>, query: TotalsQuery): ReadonlyArray<KindTotal> => {
  const byMember = query.groupBy === "member"
  const totals = new Map<string, { member: string | null; kind: EntryKind; entries: number; amount: bigint }>()
  for (const entry of entries) {
    if (!matchesFilter(entry, query)) continue
    const member = byMember ? (entry.member ?? null) : null
    const key = `${member ?? ""}\u0000${entry.kind}`
    const total = totals.get(key) ?? { member, kind: entry.kind, entries: 0, amount: 0n }
    totals.set(key, { ...total, entries: total.entries + 1, amount: total.amount + BigInt(entry.amount) })
  }
  const order = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1
  return [...totals.values()]
    .sort((a, b) => order(a.member, b.member) || (a.kind < b.kind ? -1 : 1))
    .map(({ member, kind, entries, amount }) =>
      byMember ? { member, kind, entries, amount } : { kind, entries, amount },
    )
}

/** Up to `limit` of the holds that are open, oldest first. */
export const openHoldsOf = (holds: Iterable<Hold>, limit: number): ReadonlyArray<Hold> =>
  [...holds]
    .filter((hold) => hold.status === "open")
    .sort((a, b) => a.holdId - b.holdId)
    .slice(0, limit)

/** Up to `limit` open holds whose deadline is at or before `now`, earliest first. */
export const dueHoldsOf = (holds: Iterable<Hold>, now: string, limit: number): ReadonlyArray<DueHold> =>
  [...holds]
    .filter((hold) => hold.status === "open" && hold.expiresAt !== null && hold.expiresAt <= now)
    .sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!))
    .slice(0, limit)
    .map((hold) => ({ accountId: hold.accountId, holdId: hold.holdId }))

/** Up to `limit` open auto top-up requests whose deadline is at or before `now`, earliest first. */
export const dueAutoTopUpRequestsOf = (
  requests: Iterable<AutoTopUpRequest>,
  now: string,
  limit: number,
): ReadonlyArray<DueAutoTopUpRequest> =>
  [...requests]
    .filter((request) => request.status === "open" && request.expiresAt <= now)
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))
    .slice(0, limit)
    .map((request) => ({ accountId: request.accountId, requestId: request.requestId }))

/** Up to `limit` accounts whose refill is due at `nowMs`, longest overdue first. */
export const dueRefillsOf = (
  accounts: Iterable<{ readonly accountId: AccountId; readonly state: AccountState }>,
  nowMs: number,
  limit: number,
): ReadonlyArray<AccountId> =>
  [...accounts]
    .map(({ accountId, state }) => ({ accountId, dueAtMs: refillDueAtMs(state.refill) }))
    .filter((due): due is { accountId: AccountId; dueAtMs: number } => due.dueAtMs !== null && due.dueAtMs <= nowMs)
    .sort((a, b) => a.dueAtMs - b.dueAtMs)
    .slice(0, limit)
    .map((due) => due.accountId)

const inExport = (entry: Entry, { accountId, ...filter }: ExportQuery) =>
  (accountId === undefined || entry.accountId === accountId) && matchesFilter(entry, filter)

/** A page of `entries` (newest first in the ledger-wide order) after the query's position. */
export const searchOf = (entries: ReadonlyArray<Entry>, { limit, after, ...query }: SearchQuery) =>
  entries
    .filter((entry) => (after === undefined || compareLedgerOrder(entry, after) < 0) && inExport(entry, query))
    .slice(0, limit)

/**
 * Every entry of `entries` (newest first) that the export asks for, oldest first: in the ledger-wide
 * order, or one account's in sequence order (the order they were written, whatever the clocks said).
 */
export const exportOf = (entries: ReadonlyArray<Entry>, query: ExportQuery) => {
  const found = [...entries].reverse().filter((entry) => inExport(entry, query))
  return query.accountId === undefined ? found : found.sort((a, b) => a.sequence - b.sequence)
}

/** Every entry of every account, newest first in the ledger-wide order. */
export const newestFirst = (entries: Iterable<Entry>) => [...entries].sort((a, b) => compareLedgerOrder(b, a))
