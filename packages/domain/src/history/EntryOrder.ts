import type { Entry } from "../Entry.ts"
import type { EntryFilter, LedgerPosition } from "../LedgerStore.ts"

/** History's filters and orders as plain functions, for stores that keep entries in memory. */

export const matchesFilter = (entry: Entry, { kind, from, to, reference, member }: EntryFilter): boolean => {
  if (kind !== undefined && entry.kind !== kind) return false
  if (reference !== undefined && entry.reference !== reference) return false
  if (member !== undefined && entry.member !== member) return false
  const at = Date.parse(entry.createdAt)
  if (from !== undefined && at < Date.parse(from)) return false
  return to === undefined || at < Date.parse(to)
}

/** The ledger-wide order, oldest first: time, then account id, then sequence. */
export const compareLedgerOrder = (a: LedgerPosition, b: LedgerPosition): number =>
  Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
  (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0) ||
  a.sequence - b.sequence
