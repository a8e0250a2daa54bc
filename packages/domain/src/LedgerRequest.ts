import { Schema } from "effect"
import { AccountId } from "./AccountId.ts"
import { Amount, Ceiling, OverdraftLimit } from "./Credits.ts"
import { EntryKind, TopUpKind } from "./Entry.ts"
import { IdempotencyKey } from "./IdempotencyKey.ts"
import { Limits } from "./Limits.ts"
import { Metadata } from "./Metadata.ts"
import { SpendMode } from "./Spend.ts"

/** Credits in: a top-up (or grant, refund, adjustment), optionally capped by a ceiling. */
export const TopUpRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  ceiling: Schema.optionalKey(Ceiling),
  kind: Schema.optionalKey(TopUpKind),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  metadata: Schema.optionalKey(Metadata),
})
export type TopUpRequest = typeof TopUpRequest.Type

/** Credits out, as usage: all of `amount`, or in `available` mode what the floor leaves. */
export const SpendRequest = Schema.Struct({
  accountId: AccountId,
  amount: Amount,
  mode: Schema.optionalKey(SpendMode),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  metadata: Schema.optionalKey(Metadata),
})
export type SpendRequest = typeof SpendRequest.Type

export type WriteRequest = ({ readonly _tag: "TopUp" } & TopUpRequest) | ({ readonly _tag: "Spend" } & SpendRequest)

export const EntriesRequest = Schema.Struct({
  accountId: AccountId,
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.entriesPageSizeMax }))),
  cursor: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(EntryKind),
})
export type EntriesRequest = typeof EntriesRequest.Type

export const SettingsRequest = Schema.Struct({ accountId: AccountId, overdraftLimit: OverdraftLimit })
export type SettingsRequest = typeof SettingsRequest.Type
