import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect } from "vitest"
import { toBase64Url } from "../../src/CursorText.ts"
import { decodeAccountCursor, decodeLedgerCursor, Instant, InvalidRequest } from "../../src/index.ts"

/**
 * An `Instant` names a time that exists, with its offset, in a form PostgreSQL reads as the same time:
 * no February 30 (which `Date.parse` rolls over to March), no year 0, no offset past ±15:59.
 */

const isInstant = Schema.is(Instant)
const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** The oracle: the calendar of `Date` in UTC, which never rolls over a time that exists. */
const exists = (year: number, month: number, day: number, hour: number, minute: number, second: number) => {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second)
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  )
}

describe("Instant", () => {
  test.prop([
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 17 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom("+", "-"),
  ])(
    "accepts a time exactly when it exists and its offset is within ±15:59",
    (year, month, day, hour, minute, second, offsetHours, offsetMinutes, sign) => {
      const text =
        `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}` +
        `${sign}${pad(offsetHours)}:${pad(offsetMinutes)}`
      const valid = exists(year, month, day, hour, minute, second) && offsetHours <= 15 && offsetMinutes <= 59
      expect(isInstant(text)).toBe(valid)
    },
  )

  test.prop([
    fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
  ])("accepts every time Tally writes (toISOString) and every date alone", (date) => {
    expect(isInstant(date.toISOString())).toBe(true)
    expect(isInstant(date.toISOString().slice(0, 10))).toBe(true)
  })

  test("refuses what PostgreSQL would refuse or read otherwise", () => {
    for (const text of [
      "2026-02-30",
      "2026-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "0000-01-01",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:00:60Z",
      "2026-01-01T00:00:00+16:00",
      "2026-01-01T00:00:00 05:30",
      "2026-01-01T00:00:00",
    ]) {
      expect(isInstant(text), text).toBe(false)
    }
    expect(isInstant("2024-02-29T23:59:59.999999+15:59")).toBe(true)
  })
})

describe("cursors", () => {
  const ledgerCursor = (position: Array<unknown>) => toBase64Url(`after:${JSON.stringify(position)}`)
  const accountCursor = (position: Array<unknown>) => toBase64Url(`accounts-after:${JSON.stringify(position)}`)

  test("a ledger cursor names a time that exists and an account id", () => {
    expect(decodeLedgerCursor(ledgerCursor(["2026-01-01T00:00:00.000Z", "a", 1]))).toEqual({
      createdAt: "2026-01-01T00:00:00.000Z",
      accountId: "a",
      sequence: 1,
    })
    for (const position of [
      ["2026-02-30T00:00:00.000Z", "a", 1],
      ["1", "a", 1],
      ["2026-01-01T00:00:00.000Z", "a\u0000b", 1],
      ["2026-01-01T00:00:00.000Z", "", 1],
    ]) {
      expect(decodeLedgerCursor(ledgerCursor(position))).toBeInstanceOf(InvalidRequest)
    }
  })

  test("an accounts cursor names a time that exists and an account id", () => {
    expect(decodeAccountCursor(accountCursor(["2026-01-01T00:00:00.000Z", "a"]))).toEqual({
      lastEntryAt: "2026-01-01T00:00:00.000Z",
      accountId: "a",
    })
    expect(decodeAccountCursor(accountCursor(["2026-02-30T00:00:00.000Z", "a"]))).toBeInstanceOf(InvalidRequest)
    expect(decodeAccountCursor(accountCursor(["2026-01-01T00:00:00.000Z", "a/b"]))).toBeInstanceOf(InvalidRequest)
  })
})
