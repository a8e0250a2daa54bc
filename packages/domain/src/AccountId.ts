import * as Schema from "effect/Schema"
import { Limits } from "./Limits.ts"

/** The caller's key for an account: 1 to 128 characters of letters, digits and `._:-`. */
export const AccountId = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.accountIdLengthMax),
  Schema.isPattern(Limits.accountIdPattern),
).pipe(Schema.brand("AccountId"))
export type AccountId = typeof AccountId.Type

export const accountId = Schema.decodeUnknownSync(AccountId)

export const isAccountId = Schema.is(AccountId)
