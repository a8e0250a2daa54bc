import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { AccountId } from "./AccountId.ts"
import { fromBase64Url, notIssued, toBase64Url } from "./CursorText.ts"
import { InvalidRequest } from "./LedgerError.ts"
import { canonicalJson } from "./Posting.ts"

/**
 * An opaque position in an account's history, newest first: the page after it holds the entries
 * with a lower sequence. Keyset, not offset, so new entries never shift a page. A cursor names the
 * account and the filters (kind, time range, reference) it was issued for and is refused anywhere
 * else: with another account or filter it would silently skip or repeat entries. It grants nothing
 * (any caller may read any page), so it needs checking, not signing.
 */
export interface CursorScope {
  readonly accountId: AccountId
  /** The page's filters, absent ones left out. */
  readonly filter: Readonly<Record<string, unknown>>
}

const CursorJson = Schema.fromJsonString(
  Schema.Struct({
    before: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    account: Schema.String,
    filter: Schema.String,
  }),
)
const encodeJson = Schema.encodeSync(CursorJson)
const decodeJson = Schema.decodeUnknownOption(CursorJson)

const filterOf = (scope: CursorScope) => canonicalJson(scope.filter)

export const encodeCursor = (beforeSequence: number, scope: CursorScope): string =>
  toBase64Url(encodeJson({ before: beforeSequence, account: scope.accountId, filter: filterOf(scope) }))

/** The sequence the next page starts below, when the cursor was issued for this account and filter. */
export const decodeCursor = (cursor: string, scope: CursorScope): number | InvalidRequest => {
  const decoded = Option.flatMap(fromBase64Url(cursor), decodeJson)
  if (Option.isNone(decoded)) {
    return notIssued(cursor)
  }
  const { before, account, filter } = decoded.value
  if (account !== scope.accountId || filter !== filterOf(scope)) {
    return new InvalidRequest({
      message: `cursor was issued for another account or other filters (kind, from, to, reference) than this request on account ${scope.accountId}: page with the account and filters it came from`,
    })
  }
  return before
}
