import * as Schema from "effect/Schema"
import { AccountId } from "./AccountId.ts"
import { Amount, Ceiling, OverdraftLimit } from "./Credits.ts"
import { EntryKind, TopUpKind } from "./Entry.ts"
import { GrantTermsFields } from "./grants/Grant.ts"
import { Instant } from "./history/Instant.ts"
import { Reference } from "./history/Reference.ts"
import { IdempotencyKey } from "./IdempotencyKey.ts"
import { Limits } from "./Limits.ts"
import { Metadata } from "./Metadata.ts"
import { SpendMode } from "./Spend.ts"
import { Member } from "./wallets/Member.ts"

/** Credits in: a top-up (or grant, reversal), optionally capped by a ceiling. */
export const TopUpRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  ceiling: Schema.optionalKey(Ceiling),
  kind: Schema.optionalKey(TopUpKind),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
  ...GrantTermsFields,
  member: Schema.optionalKey(Member),
})
export type TopUpRequest = typeof TopUpRequest.Type

/** Credits out, as usage: all of `amount`, or in `available` mode what the floor leaves. */
export const SpendRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  mode: Schema.optionalKey(SpendMode),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  reference: Schema.optionalKey(Reference),
  metadata: Schema.optionalKey(Metadata),
  /** The member of the wallet who spends: checked against its limit when the account has member limits. */
  member: Schema.optionalKey(Member),
})
export type SpendRequest = typeof SpendRequest.Type

export type WriteRequest = ({ readonly _tag: "TopUp" } & TopUpRequest) | ({ readonly _tag: "Spend" } & SpendRequest)

/**
 * Filters of history: kind, a time range (`from` included, `to` excluded, like the origin's time
 * ceiling), a reference, a member of the wallet.
 */
export const EntryFilterFields = {
  kind: Schema.optionalKey(EntryKind),
  from: Schema.optionalKey(Instant),
  to: Schema.optionalKey(Instant),
  reference: Schema.optionalKey(Reference),
  member: Schema.optionalKey(Member),
}

const pageFields = {
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.entriesPageSizeMax }))),
  cursor: Schema.optionalKey(Schema.String),
}

/** One account's entries, newest first. */
export const EntriesRequest = Schema.Struct({ accountId: AccountId, ...pageFields, ...EntryFilterFields })
export type EntriesRequest = typeof EntriesRequest.Type

/** Entries across accounts, newest first, for operators; optionally of one account. */
export const SearchRequest = Schema.Struct({
  accountId: Schema.optionalKey(AccountId),
  ...pageFields,
  ...EntryFilterFields,
})
export type SearchRequest = typeof SearchRequest.Type

/** Every entry that matches, oldest first, as CSV or NDJSON. */
export const ExportFormat = Schema.Literals(["csv", "ndjson"])
export type ExportFormat = typeof ExportFormat.Type

export const ExportRequest = Schema.Struct({ accountId: Schema.optionalKey(AccountId), ...EntryFilterFields })
export type ExportRequest = typeof ExportRequest.Type

/** What totals may be grouped by besides kind: `member`, a total per member of the wallet and kind. */
export const TotalsGroupBy = Schema.Literal("member")
export type TotalsGroupBy = typeof TotalsGroupBy.Type

/**
 * An account's totals per kind over a time range, optionally for one reference (a run) or one member,
 * optionally per member too.
 */
export const TotalsRequest = Schema.Struct({
  accountId: AccountId,
  from: EntryFilterFields.from,
  to: EntryFilterFields.to,
  reference: EntryFilterFields.reference,
  member: EntryFilterFields.member,
  groupBy: Schema.optionalKey(TotalsGroupBy),
})
export type TotalsRequest = typeof TotalsRequest.Type

export const SettingsRequest = Schema.Struct({ accountId: AccountId, overdraftLimit: OverdraftLimit })
export type SettingsRequest = typeof SettingsRequest.Type
