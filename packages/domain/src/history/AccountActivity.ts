import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { AccountId, isAccountId } from "../AccountId.ts"
import { type AccountState, balancesOf } from "../AccountState.ts"
import { Balance } from "../Credits.ts"
import { fromBase64Url, notIssued, toBase64Url } from "../CursorText.ts"
import type { Entry } from "../Entry.ts"
import type { InvalidRequest } from "../LedgerError.ts"
import type { AccountsQuery } from "../LedgerStore.ts"
import { Limits } from "../Limits.ts"
import { isInstant } from "./Instant.ts"

/**
 * Accounts by their last activity (their newest entry), newest first: how an operator finds an
 * account by the start of its id, or sees who was active lately. An account with no entry yet (only
 * settings) has no activity and is not listed.
 */

/** An account as the listing shows it: its credits and its newest entry. */
export const AccountSummary = Schema.Struct({
  accountId: AccountId,
  balance: Balance,
  held: Schema.Int,
  available: Schema.Int,
  /** How many entries the account has: its newest entry's sequence. */
  entries: Schema.Int,
  /** When its newest entry was written, ISO-8601. */
  lastEntryAt: Schema.String,
})
export type AccountSummary = typeof AccountSummary.Type

/** An account's summary from its state and its newest entry; none without an entry. */
export const summaryOf = (
  accountId: AccountId,
  state: AccountState,
  newest: Entry | undefined,
): AccountSummary | undefined =>
  newest === undefined
    ? undefined
    : { accountId, ...balancesOf(state), entries: newest.sequence, lastEntryAt: newest.createdAt }

/** The start of an account id: the same characters an id may have, as long as one may be. */
export const AccountIdPrefix = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.accountIdLengthMax),
  Schema.isPattern(Limits.accountIdPattern),
)

export const AccountsRequest = Schema.Struct({
  prefix: Schema.optionalKey(AccountIdPrefix),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.accountsPageSizeMax }))),
  cursor: Schema.optionalKey(Schema.String),
})
export type AccountsRequest = typeof AccountsRequest.Type

/** Where a page of the listing ends: the next page holds the accounts after it, newest activity first. */
export interface AccountPosition {
  readonly lastEntryAt: string
  readonly accountId: string
}

/** Newest activity first; among accounts last active at the same moment, by id, descending. */
export const compareAccountActivity = (a: AccountPosition, b: AccountPosition): number =>
  Date.parse(b.lastEntryAt) - Date.parse(a.lastEntryAt) ||
  (a.accountId < b.accountId ? 1 : a.accountId > b.accountId ? -1 : 0)

const prefix = "accounts-after:"

/**
 * Keyset, so a page never shifts under new accounts. An account active again between two pages moves
 * to the top: a fresh first page shows it.
 */
export const encodeAccountCursor = ({ lastEntryAt, accountId }: AccountPosition): string =>
  toBase64Url(`${prefix}${JSON.stringify([lastEntryAt, accountId])}`)

export const decodeAccountCursor = (cursor: string): AccountPosition | InvalidRequest => {
  try {
    const text = Option.getOrElse(fromBase64Url(cursor), () => "")
    if (!text.startsWith(prefix)) return notIssued(cursor)
    const [lastEntryAt, accountId] = JSON.parse(text.slice(prefix.length)) as Array<unknown>
    return isInstant(lastEntryAt) && isAccountId(accountId) ? { lastEntryAt, accountId } : notIssued(cursor)
  } catch {
    return notIssued(cursor)
  }
}

/** A page of `summaries` in activity order after `after`, of ids that start with `prefix`. */
export const accountsPageOf = (
  summaries: Iterable<AccountSummary>,
  { prefix, limit, after }: AccountsQuery,
): ReadonlyArray<AccountSummary> =>
  [...summaries]
    .filter(
      (summary) =>
        (prefix === undefined || summary.accountId.startsWith(prefix)) &&
        (after === undefined || compareAccountActivity(after, summary) < 0),
    )
    .sort(compareAccountActivity)
    .slice(0, limit)
