import * as Schema from "effect/Schema"

const isoTime = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/

const leapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const daysIn = (year: number, month: number) =>
  month === 2 ? (leapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/**
 * Whether the text names a time that exists: `Date.parse` rolls 2026-02-30 over to March 2, and
 * PostgreSQL refuses it, year 0 and offsets past 15:59, so each part is checked on its own.
 */
const exists = (text: string) => {
  const parts = isoTime.exec(text)
  if (parts === null) return false
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = parts
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)))
  return (
    year! >= 1 &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysIn(year!, month!) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 15 &&
    offsetMinutes <= 59
  )
}

/**
 * A point in time as ISO-8601 text with its offset (`2026-01-31T12:00:00Z`), or a date alone
 * (midnight UTC). Times without an offset are refused: they mean different instants on different
 * machines. So are dates that do not exist (February 30, year 0) and offsets past ±15:59.
 */
export const Instant = Schema.String.check(
  Schema.makeFilter(exists, {
    expected:
      "an ISO-8601 time with an offset, or a date (midnight UTC), that exists, such as 2026-01-31T12:00:00Z or 2026-01-31 (in a URL, write + as %2B)",
  }),
).pipe(Schema.brand("Instant"))
export type Instant = typeof Instant.Type

export const isInstant = Schema.is(Instant)
