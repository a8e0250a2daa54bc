import { Option, Schema } from "effect"
import type { AccountId } from "./AccountId.ts"
import type { EntryKind } from "./Entry.ts"
import { InvalidRequest } from "./LedgerError.ts"

/**
 * An opaque position in an account's history, newest first: the page after it holds the entries
 * with a lower sequence. Keyset, not offset, so new entries never shift a page. A cursor names the
 * account and the kind filter it was issued for and is refused anywhere else: on another account or
 * filter it would silently skip or repeat entries. It grants nothing (any caller may read any page),
 * so it needs checking, not signing.
 */
export interface CursorScope {
  readonly accountId: AccountId
  readonly kind: EntryKind | undefined
}

const CursorJson = Schema.fromJsonString(
  Schema.Struct({
    before: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    account: Schema.String,
    kind: Schema.NullOr(Schema.String),
  }),
)
const encodeJson = Schema.encodeSync(CursorJson)
const decodeJson = Schema.decodeUnknownOption(CursorJson)

// Account ids and kinds are ASCII, so the JSON is too and btoa takes it as is.
const toBase64Url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")

const fromBase64Url = (text: string): Option.Option<string> => {
  try {
    return Option.some(atob(text.replaceAll("-", "+").replaceAll("_", "/")))
  } catch {
    return Option.none()
  }
}

export const encodeCursor = (beforeSequence: number, scope: CursorScope): string =>
  toBase64Url(encodeJson({ before: beforeSequence, account: scope.accountId, kind: scope.kind ?? null }))

/** The sequence the next page starts below, when the cursor was issued for this account and filter. */
export const decodeCursor = (cursor: string, scope: CursorScope): number | InvalidRequest => {
  const decoded = Option.flatMap(fromBase64Url(cursor), decodeJson)
  if (Option.isNone(decoded)) {
    return new InvalidRequest({ message: `cursor ${JSON.stringify(cursor)} is not one Tally issued` })
  }
  const { before, account, kind } = decoded.value
  if (account !== scope.accountId || kind !== (scope.kind ?? null)) {
    const filter = scope.kind === undefined ? "no kind filter" : `kind=${scope.kind}`
    return new InvalidRequest({
      message: `cursor was issued for another account or kind filter than account ${scope.accountId} with ${filter}: page with the account and filter it came from`,
    })
  }
  return before
}
