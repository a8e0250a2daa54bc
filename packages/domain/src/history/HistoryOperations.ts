import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { Entry } from "../Entry.ts"
import { decodeCursor, encodeCursor } from "../EntryCursor.ts"
import { InvalidRequest, type LedgerUnavailable, validateRequest as validate } from "../LedgerError.ts"
import { EntriesRequest, ExportRequest, SearchRequest, TotalsRequest } from "../LedgerRequest.ts"
import type { KindTotal, LedgerStore } from "../LedgerStore.ts"
import type { ReadError } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import { type AccountSummary, AccountsRequest, decodeAccountCursor, encodeAccountCursor } from "./AccountActivity.ts"
import { decodeLedgerCursor, encodeLedgerCursor } from "./LedgerCursor.ts"

export interface AccountsPage {
  readonly accounts: ReadonlyArray<AccountSummary>
  readonly nextCursor: string | null
}

export interface EntryPage {
  readonly entries: ReadonlyArray<Entry>
  readonly nextCursor: string | null
}

/** Reading what was written: an account's entries and totals, the accounts, entries across accounts. */
export interface HistoryOperations {
  readonly entries: (request: typeof EntriesRequest.Encoded) => Effect.Effect<EntryPage, ReadError>
  readonly totals: (request: typeof TotalsRequest.Encoded) => Effect.Effect<ReadonlyArray<KindTotal>, ReadError>
  /** Accounts that have entries, newest activity first, optionally those whose id starts with a prefix. */
  readonly accounts: (request: typeof AccountsRequest.Encoded) => Effect.Effect<AccountsPage, ReadError>
  /** Entries across accounts, newest first: the operators' search. */
  readonly search: (request: typeof SearchRequest.Encoded) => Effect.Effect<EntryPage, ReadError>
  /** Every matching entry, oldest first, as a stream read while it is consumed. */
  readonly exportEntries: (
    request: typeof ExportRequest.Encoded,
  ) => Effect.Effect<Stream.Stream<Entry, LedgerUnavailable>, InvalidRequest>
}

export const historyOperations = (store: LedgerStore["Service"]): HistoryOperations => ({
  entries: Effect.fn("Ledger.entries")(function* (input: typeof EntriesRequest.Encoded) {
    const {
      accountId,
      cursor,
      limit = Limits.entriesPageSizeDefault,
      ...filter
    } = yield* validate(EntriesRequest)(input)
    const scope = { accountId, filter }
    const beforeSequence = cursor === undefined ? undefined : decodeCursor(cursor, scope)
    if (beforeSequence instanceof InvalidRequest) return yield* beforeSequence
    const rows = yield* store.entries(accountId, { ...filter, limit: limit + 1, beforeSequence })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return { entries: page, nextCursor: rows.length > limit && last ? encodeCursor(last.sequence, scope) : null }
  }),
  totals: (input) =>
    validate(TotalsRequest)(input).pipe(Effect.flatMap(({ accountId, ...filter }) => store.totals(accountId, filter))),
  accounts: Effect.fn("Ledger.accounts")(function* (input: typeof AccountsRequest.Encoded) {
    const { cursor, limit = Limits.accountsPageSizeDefault, prefix } = yield* validate(AccountsRequest)(input)
    const after = cursor === undefined ? undefined : decodeAccountCursor(cursor)
    if (after instanceof InvalidRequest) return yield* after
    const rows = yield* store.accounts({ prefix, limit: limit + 1, after })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return { accounts: page, nextCursor: rows.length > limit && last ? encodeAccountCursor(last) : null }
  }),
  search: Effect.fn("Ledger.search")(function* (input: typeof SearchRequest.Encoded) {
    const { cursor, limit = Limits.entriesPageSizeDefault, ...filter } = yield* validate(SearchRequest)(input)
    const after = cursor === undefined ? undefined : decodeLedgerCursor(cursor)
    if (after instanceof InvalidRequest) return yield* after
    const rows = yield* store.search({ ...filter, limit: limit + 1, after })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return { entries: page, nextCursor: rows.length > limit && last ? encodeLedgerCursor(last) : null }
  }),
  exportEntries: (input) => validate(ExportRequest)(input).pipe(Effect.map(store.exportEntries)),
})
