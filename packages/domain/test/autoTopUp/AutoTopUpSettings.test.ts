import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect } from "vitest"
import {
  AutoTopUpSettings,
  amount,
  configureAutoTopUp,
  noAutoTopUp,
  threshold,
  validateAutoTopUpSettings,
} from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const decode = Schema.decodeUnknownResult(AutoTopUpSettings)

describe("auto top-up settings", () => {
  test.each([
    ["a negative threshold", { enabled: true, threshold: -1, amount: 500, ceiling: null }],
    ["a zero amount", { enabled: true, threshold: 100, amount: 0, ceiling: null }],
    ["a fractional amount", { enabled: true, threshold: 100, amount: 1.5, ceiling: null }],
    ["a negative ceiling", { enabled: true, threshold: 0, amount: 5, ceiling: -1 }],
    ["no enabled flag", { threshold: 100, amount: 500, ceiling: null }],
  ])("%s fails validation", (_, input) => {
    expect(decode(input)._tag).toBe("Failure")
  })

  test("a ceiling below the threshold is refused with both values", () => {
    const settings = { enabled: true, threshold: threshold(500), amount: amount(100), ceiling: 400 as never }
    expect(validateAutoTopUpSettings(settings)).toMatchObject({
      _tag: "AutoTopUpCeilingBelowThreshold",
      threshold: 500,
      ceiling: 400,
    })
  })

  test.prop([Arbitraries.autoTopUpSettings()])("consistent settings are accepted as they are", (settings) => {
    expect(validateAutoTopUpSettings(settings)).toBe(settings)
  })

  test.prop([Arbitraries.autoTopUpSettings(), fc.integer({ min: 0, max: 10 })])(
    "setting them enabled starts the count of failures again; disabled keeps it",
    (settings, failures) => {
      const state = configureAutoTopUp({ ...noAutoTopUp, consecutiveFailures: failures }, settings)
      expect(state).toMatchObject({ settings, consecutiveFailures: settings.enabled ? 0 : failures })
    },
  )
})
