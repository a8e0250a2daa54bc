import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { Limits } from "../Limits.ts"

/** An account's grants, live and spent, newest first, a page at a time. */
export const GrantsRequest = Schema.Struct({
  accountId: AccountId,
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.entriesPageSizeMax }))),
  cursor: Schema.optionalKey(Schema.String),
})
export type GrantsRequest = typeof GrantsRequest.Type

/** Expire what is due of one account's grants now. */
export const ExpireGrantsRequest = Schema.Struct({ accountId: AccountId })
export type ExpireGrantsRequest = typeof ExpireGrantsRequest.Type
