import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { EntryFilterFields } from "../LedgerRequest.ts"
import { Limits } from "../Limits.ts"

/** One account's runs, newest first; filters select the entries before they are grouped. */
export const RunsRequest = Schema.Struct({
  accountId: AccountId,
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.runsPageSizeMax }))),
  /** Entries each run shows, newest first; 0 shows none (its total and counts still cover them all). */
  details: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Limits.runDetailsMax }))),
  cursor: Schema.optionalKey(Schema.String),
  kind: EntryFilterFields.kind,
  from: EntryFilterFields.from,
  to: EntryFilterFields.to,
  member: EntryFilterFields.member,
})
export type RunsRequest = typeof RunsRequest.Type
