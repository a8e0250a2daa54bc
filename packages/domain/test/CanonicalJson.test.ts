import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { canonicalJson } from "../src/CanonicalJson.ts"

/** The fingerprints' form as it was first written, and stored: the text must never change. */
const asFirstWritten = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )

/** Keys that JavaScript orders apart: array indexes (and near misses), `__proto__`, the rest by code units. */
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
  fc.nat({ max: 30 }).map(String),
  fc.constantFrom("__proto__", "4294967294", "4294967295", "01", "-1", "1.5", "10", "9", "", "B", "a"),
)
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.sparseArray(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
})).value

describe("canonicalJson", () => {
  test.prop([value], { numRuns: 2000 })("prints what the fingerprints were first written as", (input) => {
    expect(canonicalJson(input)).toBe(asFirstWritten(input))
  })

  test.prop([fc.dictionary(key, value, { maxKeys: 6 })])(
    "prints equal objects alike, whatever their keys' order",
    (input) => {
      const reversed = Object.fromEntries(Object.entries(input).reverse())
      expect(canonicalJson(reversed)).toBe(canonicalJson(input))
    },
  )
})
