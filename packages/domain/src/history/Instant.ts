import * as Schema from "effect/Schema"

const isoTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/

/**
 * A point in time as ISO-8601 text with its offset (`2026-01-31T12:00:00Z`), or a date alone
 * (midnight UTC). Times without an offset are refused: they mean different instants on different
 * machines.
 */
export const Instant = Schema.String.check(
  Schema.makeFilter((text) => isoTime.test(text) && !Number.isNaN(Date.parse(text)), {
    expected: "an ISO-8601 time with an offset, such as 2026-01-31T12:00:00Z",
  }),
).pipe(Schema.brand("Instant"))
export type Instant = typeof Instant.Type
