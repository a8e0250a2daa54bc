import { fc, it } from "@fast-check/vitest"
import { Limits, metadataProblem, noLinks, WriteBody } from "@tally/domain"
import * as Schema from "effect/Schema"
import { describe, expect } from "vitest"
import { writeBodyJson } from "../src/WriteBodyJson.ts"

const encodedBySchema = Schema.encodeUnknownSync(Schema.toCodecJson(WriteBody))

const int = fc.maxSafeInteger()
const text = fc.string({ unit: "binary", maxLength: 20 })
const name = fc.stringMatching(Limits.accountIdPattern, { maxLength: 40 }).filter((id) => id.length <= 40)
const metadata = fc
  .dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .filter((value) => metadataProblem(value) === undefined)

/** Any entry the schema accepts, with fields of the domain's it does not declare beside them. */
const entry = fc.record(
  {
    accountId: name,
    sequence: fc.integer({ min: 1 }),
    kind: fc.constantFrom("top-up", "grant", "reversal", "usage", "refund", "adjustment", "expiry"),
    decision: fc.constantFrom("Applied", "Clamped"),
    requested: int,
    amount: int,
    balanceAfter: int,
    idempotencyKey: fc.option(text),
    reference: fc.option(text),
    holdId: fc.option(int),
    refundOf: fc.option(int),
    reason: fc.option(text),
    actor: fc.option(text),
    overdrawn: fc.boolean(),
    metadata,
    createdAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    member: name,
    allocations: fc.array(
      fc.record({ grantId: int, amount: int, drawnAt: text }, { requiredKeys: ["grantId", "amount"] }),
    ),
    operationId: fc.uuid(),
  },
  { requiredKeys: ["accountId", "sequence", "kind", "decision", "requested", "amount", "balanceAfter"] },
)

/** Optional-in-the-record fields the schema requires are filled in with their empty values. */
const complete = (drawn: Record<string, unknown>) => ({
  idempotencyKey: null,
  ...noLinks,
  metadata: {},
  createdAt: "2026-12-07T10:00:00.000Z",
  ...drawn,
})

describe("a write's answer as JSON", () => {
  it.prop([entry, int])("is the text the API's JSON codec encodes, excess fields dropped", (drawn, balance) => {
    const body = { entry: complete(drawn), balance } as unknown as typeof WriteBody.Type
    expect(writeBodyJson(body)).toBe(JSON.stringify(encodedBySchema(body)))
  })
})
