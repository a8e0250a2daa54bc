import * as Schema from "effect/Schema"
import { Limits } from "./Limits.ts"

/** A caller-chosen key, unique per account, that makes a retried write apply at most once. */
export const IdempotencyKey = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.idempotencyKeyLengthMax),
  Schema.isPattern(Limits.idempotencyKeyPattern),
).pipe(Schema.brand("IdempotencyKey"))
export type IdempotencyKey = typeof IdempotencyKey.Type

export const idempotencyKey = Schema.decodeUnknownSync(IdempotencyKey)
