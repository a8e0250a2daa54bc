import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect } from "vitest"
import { Limits, Metadata, metadataProblem } from "../src/index.ts"

/** JSON objects within every limit but size; strings that PostgreSQL's jsonb stores. */
const storableString = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("\u0000"))
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    storableString,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(storableString, tie("value"), { maxKeys: 4 }),
  ),
})).value
const metadata = fc.dictionary(storableString, json, { maxKeys: 6 })

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length
const depth = (value: unknown): number =>
  typeof value === "object" && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depth)) : 0
const keyCount = (value: unknown): number =>
  typeof value === "object" && value !== null
    ? (Array.isArray(value) ? 0 : Object.keys(value).length) + Object.values(value).reduce((n, v) => n + keyCount(v), 0)
    : 0

const withinLimits = (value: unknown) =>
  bytes(value) <= Limits.metadataBytesMax &&
  depth(value) <= Limits.metadataDepthMax &&
  keyCount(value) <= Limits.metadataKeysMax

describe("metadata", () => {
  test.prop([metadata])("a JSON object within the limits is accepted, and decodes to itself", (value) => {
    fc.pre(withinLimits(value))
    expect(metadataProblem(value)).toBeUndefined()
    expect(Schema.decodeUnknownSync(Metadata)(value)).toEqual(value)
  })

  test.prop([metadata, fc.constantFrom("\u0000", "\ud800", "\udfff")])(
    "a NUL or an unpaired surrogate anywhere, in a value or a key, is refused",
    (value, bad) => {
      fc.pre(withinLimits(value))
      expect(metadataProblem({ ...value, nested: [{ text: `a${bad}b` }] })).toMatch(/valid Unicode without NUL/)
      expect(metadataProblem({ ...value, [`key${bad}`]: 1 })).toMatch(/valid Unicode without NUL/)
    },
  )

  test.prop([fc.integer({ min: Limits.metadataDepthMax + 1, max: 200_000 })])(
    "nesting past the limit is refused, however deep, without exhausting the stack",
    (levels) => {
      let value: unknown = {}
      for (let level = 1; level < levels; level++) value = level % 2 === 0 ? { a: value } : [value]
      expect(metadataProblem({ top: value })).toMatch(/nests deeper than 32 levels/)
    },
  )

  test("limits hold at their edges", () => {
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 0]))
    expect(metadataProblem(keys(Limits.metadataKeysMax))).toBeUndefined()
    expect(metadataProblem(keys(Limits.metadataKeysMax + 1))).toMatch(/more than 256 keys/)
    const sized = (n: number) => ({ s: "é".repeat(n) })
    const fits = (Limits.metadataBytesMax - bytes(sized(0))) / 2
    expect(metadataProblem(sized(fits))).toBeUndefined()
    expect(metadataProblem(sized(fits + 1))).toMatch(/at most 4096 bytes/)
    expect(metadataProblem({ n: Number.NaN })).toMatch(/finite/)
    expect(metadataProblem([])).toMatch(/JSON object/)
    expect(metadataProblem({ d: new Date() })).toMatch(/not JSON/)
  })
})
