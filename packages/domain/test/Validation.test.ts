import { Schema } from "effect"
import { describe, expect, test } from "vitest"
import { AccountId, Amount, Balance, Ceiling, IdempotencyKey, OverdraftLimit } from "../src/index.ts"

const accepts = (schema: Schema.Decoder<unknown>, value: unknown) => Schema.is(schema)(value)

describe("validation keeps bad input away from the core", () => {
  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, "10", null])(
    "an amount of %s is refused",
    (value) => expect(accepts(Amount, value)).toBe(false),
  )

  test.each([1, 1000, Number.MAX_SAFE_INTEGER])("an amount of %s is accepted", (value) => {
    expect(accepts(Amount, value)).toBe(true)
  })

  test.each([-1, 0.5, Number.MAX_SAFE_INTEGER + 2])("a ceiling of %s is refused", (value) => {
    expect(accepts(Ceiling, value)).toBe(false)
  })

  test.each([2 ** 53, 2 ** 60, -5])("an amount of %s is refused with the range it must be in", (value) => {
    const refused = Schema.decodeUnknownResult(Amount)(value)
    expect(refused._tag).toBe("Failure")
    if (refused._tag === "Failure")
      expect(refused.failure.message).toBe("Expected a value between 1 and 9007199254740991")
  })

  test("a ceiling of 0 is accepted", () => expect(accepts(Ceiling, 0)).toBe(true))

  test.each([-Number.MAX_SAFE_INTEGER - 2, 2 ** 53, 0.1])("a balance of %s is refused", (value) => {
    expect(accepts(Balance, value)).toBe(false)
  })

  test("an overdraft limit is never negative", () => expect(accepts(OverdraftLimit, -1)).toBe(false))

  test.each(["", "has space", "a/b", "x".repeat(129), "-leading-dash", "é"])("an account id %j is refused", (value) => {
    expect(accepts(AccountId, value)).toBe(false)
  })

  test.each(["acct_1", "team:42", "user.7-a"])("an account id %j is accepted", (value) => {
    expect(accepts(AccountId, value)).toBe(true)
  })

  test.each(["", "with space", "k".repeat(256), "tab\t"])("an idempotency key %j is refused", (value) => {
    expect(accepts(IdempotencyKey, value)).toBe(false)
  })

  test("a decoding failure says what was wrong", () => {
    expect(() => Schema.decodeUnknownSync(Amount)(-5)).toThrow(/between 1 and 9007199254740991/)
  })
})
