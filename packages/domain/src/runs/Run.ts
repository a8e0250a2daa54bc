import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Entry, EntryKind } from "../Entry.ts"
import { matchesFilter } from "../history/EntryOrder.ts"

/**
 * History by run: an account's entries grouped by their `reference` (a run id, an order id), so a
 * run's charges, fees and corrections read as one row, as the origin shows a graph execution. A
 * run's total and counts cover every entry of it the filters keep, while it shows only its newest
 * few (`details`). Entries without a reference belong to no run and are left out: they are the
 * account's own movements (top-ups, grants), which the entries history already lists.
 */

/** A run's entries of one kind: how many, and their amounts summed (a bigint: exact at any size). */
export const RunKind = Schema.Struct({
  kind: EntryKind,
  entries: Schema.Int,
  amount: Schema.BigInt.annotate({ description: "The kind's amounts summed, as a decimal string: exact at any size" }),
})
export type RunKind = typeof RunKind.Type

export const Run = Schema.Struct({
  reference: Schema.String,
  /** Every matching entry's amount summed: a sum of many safe integers may not be one, so a bigint. */
  total: Schema.BigInt.annotate({ description: "The run's amounts summed, as a decimal string: exact at any size" }),
  /** How many entries the run has (that match the filters). */
  entries: Schema.Int,
  /** Its entries per kind, in kind order. */
  kinds: Schema.Array(RunKind),
  /** When its first and last entries were written, ISO-8601. */
  firstAt: Schema.String,
  lastAt: Schema.String,
  /** Its newest entry's sequence: runs are ordered by it, newest first. */
  lastSequence: Schema.Int,
  /** Its newest entries, newest first, at most the request's `details`. */
  details: Schema.Array(Entry),
  /** The run has more entries than `details` shows. */
  more: Schema.Boolean,
})
export type Run = typeof Run.Type

/**
 * A page of an account's runs as the HTTP API and `tally runs --json` answer it; `nextCursor` is the
 * next page's `cursor` (null: no more).
 */
export const AccountRuns = Schema.Struct({
  accountId: AccountId,
  runs: Schema.Array(Run),
  nextCursor: Schema.NullOr(Schema.String),
})
export type AccountRuns = typeof AccountRuns.Type

/** A page of runs, as the storage port reads it. */
export interface RunsQuery {
  readonly kind?: EntryKind | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  /** Only entries that name this member of the wallet. */
  readonly member?: string | undefined
  /** Runs at most. */
  readonly limit: number
  /** Entries each run shows at most. */
  readonly details: number
  /** Only runs whose newest entry has a lower sequence: the keyset cursor. */
  readonly beforeSequence?: number | undefined
}

interface Fold {
  total: bigint
  readonly kinds: Map<EntryKind, { entries: number; amount: bigint }>
  readonly entries: Array<Entry>
}

const byKind = (a: RunKind, b: RunKind) => (a.kind < b.kind ? -1 : 1)

/** A run from its entries (newest first, at least one). */
const runOf = (reference: string, { total, kinds, entries }: Fold, details: number): Run => ({
  reference,
  total,
  entries: entries.length,
  kinds: [...kinds].map(([kind, sum]) => ({ kind, ...sum })).sort(byKind),
  firstAt: entries.reduce(
    (first, e) => (Date.parse(e.createdAt) < Date.parse(first) ? e.createdAt : first),
    entries[0]!.createdAt,
  ),
  lastAt: entries.reduce(
    (last, e) => (Date.parse(e.createdAt) > Date.parse(last) ? e.createdAt : last),
    entries[0]!.createdAt,
  ),
  lastSequence: entries[0]!.sequence,
  details: entries.slice(0, details),
  more: entries.length > details,
})

/**
 * A page of one account's runs, newest first by their newest entry, from the account's entries in
 * any order: what a store that keeps entries in memory answers, and the rule an indexed store's
 * query follows.
 */
export const runsOf = (entries: Iterable<Entry>, { limit, details, beforeSequence, ...filter }: RunsQuery) => {
  const folds = new Map<string, Fold>()
  for (const entry of entries) {
    if (entry.reference === null || !matchesFilter(entry, filter)) continue
    let fold = folds.get(entry.reference)
    if (fold === undefined) {
      fold = { total: 0n, kinds: new Map(), entries: [] }
      folds.set(entry.reference, fold)
    }
    const amount = BigInt(entry.amount)
    const kind = fold.kinds.get(entry.kind) ?? { entries: 0, amount: 0n }
    fold.kinds.set(entry.kind, { entries: kind.entries + 1, amount: kind.amount + amount })
    fold.total += amount
    fold.entries.push(entry)
  }
  return [...folds]
    .map(([reference, fold]) => {
      fold.entries.sort((a, b) => b.sequence - a.sequence)
      return [reference, fold] as const
    })
    .filter(([, fold]) => fold.entries[0]!.sequence < (beforeSequence ?? Number.POSITIVE_INFINITY))
    .sort(([, a], [, b]) => b.entries[0]!.sequence - a.entries[0]!.sequence)
    .slice(0, limit)
    .map(([reference, fold]) => runOf(reference, fold, details))
}
