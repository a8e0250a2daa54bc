import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  compareLedgerOrder,
  csvColumns,
  csvLine,
  decodeLedgerCursor,
  type Entry,
  encodeLedgerCursor,
  InvalidRequest,
  matchesFilter,
  noLinks,
} from "../../src/index.ts"

/** RFC 4180 fields of one CSV line (without its CRLF): the reading a spreadsheet does. */
const parseCsvLine = (line: string): Array<string> => {
  const fields: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") {
      fields.push(field)
      field = ""
    } else field += c
  }
  fields.push(field)
  return fields
}

const entry = (fields: Partial<Entry>): Entry => ({
  accountId: "a" as Entry["accountId"],
  sequence: 1,
  kind: "top-up",
  decision: "Applied",
  requested: 5,
  amount: 5,
  balanceAfter: 5 as Entry["balanceAfter"],
  idempotencyKey: null,
  ...noLinks,
  metadata: {},
  createdAt: "2026-01-01T00:00:00.000Z",
  ...fields,
})

describe("CSV export", () => {
  test.prop([fc.string(), fc.string(), fc.dictionary(fc.string(), fc.string())])(
    "keeps every field whole, whatever quotes, commas and line breaks it holds",
    (reason, actor, metadata) => {
      const e = entry({ reason, actor, metadata })
      const line = csvLine(e)
      expect(line.endsWith("\r\n")).toBe(true)
      // Line breaks inside quoted fields are legal CSV; split records only outside quotes.
      const fields = parseCsvLine(line.slice(0, -2))
      expect(fields).toHaveLength(csvColumns.length)
      expect(fields[csvColumns.indexOf("reason")]).toBe(reason)
      expect(fields[csvColumns.indexOf("actor")]).toBe(actor)
      expect(JSON.parse(fields[csvColumns.indexOf("metadata")]!)).toEqual(metadata)
    },
  )
})

describe("ledger-wide cursors", () => {
  const position = fc.record({
    // The times an entry is written at: years 1 to 9999, as an `Instant` (and PostgreSQL) reads them.
    createdAt: fc
      .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
      .map((d) => d.toISOString()),
    accountId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
    sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  })

  test.prop([position])("decode to the position they were made from", (p) => {
    expect(decodeLedgerCursor(encodeLedgerCursor(p))).toEqual(p)
  })

  test.prop([fc.string()])("are refused when Tally did not issue them", (text) => {
    const decoded = decodeLedgerCursor(text)
    if (!(decoded instanceof InvalidRequest)) expect(encodeLedgerCursor(decoded)).toBe(text.replace(/=+$/, ""))
  })

  test.prop([position, position])("order positions totally, by time first", (a, b) => {
    expect(Math.sign(compareLedgerOrder(a, b))).toBe(-Math.sign(compareLedgerOrder(b, a)))
    if (Date.parse(a.createdAt) < Date.parse(b.createdAt)) expect(compareLedgerOrder(a, b)).toBeLessThan(0)
  })
})

describe("history filters", () => {
  test("include from and exclude to", () => {
    const e = entry({ createdAt: "2026-01-01T00:00:00.000Z" })
    expect(matchesFilter(e, { from: "2026-01-01T00:00:00Z" })).toBe(true)
    expect(matchesFilter(e, { to: "2026-01-01T00:00:00Z" })).toBe(false)
    expect(matchesFilter(e, { from: "2025-12-31T23:00:00-01:00" })).toBe(true)
    expect(matchesFilter(e, { to: "2026-01-01T00:00:00.001Z" })).toBe(true)
  })
})
