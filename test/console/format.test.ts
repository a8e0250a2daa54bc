import { describe, expect, test } from "vitest"
import { tickCredits, tickTimes } from "../../packages/app/console/src/format.ts"

/**
 * The chart's axis labels, which uPlot draws on a canvas where the browser tests cannot read them. The
 * console formats in the viewer's locale; these expectations are en-US's, the locale these tests run in
 * (Node's default without LANG).
 */
describe.runIf(new Intl.NumberFormat().resolvedOptions().locale === "en-US")("the balance chart's axes", () => {
  test("credits past a million are shortened with their thousands grouped, the same on every tick", () => {
    expect([8e15, 9e15, 1e16].map(tickCredits)).toEqual(["8,000T", "9,000T", "10,000T"])
    expect([0, 500_000, 999_999].map(tickCredits)).toEqual(["0", "500,000", "999,999"])
  })

  test("times read as the time of day, the day and time, or the day, never as a fraction of a second", () => {
    const at = Date.parse("2026-12-07T20:12:14Z") / 1_000
    const seconds = tickTimes([at, at + 1, at + 2])
    expect(seconds.every((label) => /^\d{1,2}:\d\d:\d\d [AP]M$/.test(label))).toBe(true)
    expect(seconds.some((label) => label.includes("."))).toBe(false)
    expect(
      tickTimes([at, at + 6 * 3_600]).every((label) => /^[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d\d [AP]M$/.test(label)),
    ).toBe(true)
    expect(tickTimes([at, at + 7 * 86_400]).every((label) => /^[A-Z][a-z]{2} \d{1,2}, \d{4}$/.test(label))).toBe(true)
  })
})
