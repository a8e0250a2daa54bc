import * as Schema from "effect/Schema"
import { Limits } from "../Limits.ts"

/**
 * A caller's label on a write, such as a run id or an order id, indexed so that history can be
 * filtered by it and usage totalled per run. Tally never reads it.
 */
export const Reference = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.referenceLengthMax),
  Schema.isPattern(Limits.referencePattern),
).pipe(Schema.brand("Reference"))
export type Reference = typeof Reference.Type
