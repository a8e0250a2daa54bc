import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { periodContaining, periodName } from "../../src/index.ts"
import { Arbitraries } from "../../src/testing/index.ts"

const dayMs = 24 * 60 * 60 * 1000
const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h)

describe("refill periods", () => {
  test("monthly on the 31st falls on the last day of shorter months", () => {
    const schedule = { period: "monthly" as const, dayOfMonth: 31 }
    expect(periodContaining(schedule, utc(2024, 2, 29, 12))).toEqual({
      startMs: utc(2024, 2, 29),
      endMs: utc(2024, 3, 31),
    })
    expect(periodContaining(schedule, utc(2025, 2, 28, 1))).toEqual({
      startMs: utc(2025, 2, 28),
      endMs: utc(2025, 3, 31),
    })
    expect(periodContaining(schedule, utc(2025, 2, 27, 23))).toEqual({
      startMs: utc(2025, 1, 31),
      endMs: utc(2025, 2, 28),
    })
    expect(periodContaining(schedule, utc(2025, 4, 30))).toEqual({ startMs: utc(2025, 4, 30), endMs: utc(2025, 5, 31) })
  })

  test("monthly on the 1st runs calendar months, across a year's end", () => {
    const schedule = { period: "monthly" as const, dayOfMonth: 1 }
    expect(periodContaining(schedule, utc(2025, 12, 31, 23))).toEqual({
      startMs: utc(2025, 12, 1),
      endMs: utc(2026, 1, 1),
    })
    expect(periodName(periodContaining(schedule, utc(2026, 1, 1)))).toBe("2026-01-01")
  })

  test("weekly on Monday starts at Monday midnight UTC", () => {
    // 2025-03-14 is a Friday.
    expect(periodContaining({ period: "weekly", weekday: 1 }, utc(2025, 3, 14, 9))).toEqual({
      startMs: utc(2025, 3, 10),
      endMs: utc(2025, 3, 17),
    })
    expect(periodContaining({ period: "weekly", weekday: 5 }, utc(2025, 3, 14))).toMatchObject({
      startMs: utc(2025, 3, 14),
    })
  })

  test.prop([Arbitraries.refillSchedule, Arbitraries.moment])("a period contains its moment", (schedule, at) => {
    const { startMs, endMs } = periodContaining(schedule, at)
    expect(startMs).toBeLessThanOrEqual(at)
    expect(at).toBeLessThan(endMs)
  })

  test.prop([Arbitraries.refillSchedule, Arbitraries.moment])(
    "periods start at midnight UTC and follow each other without gap or overlap",
    (schedule, at) => {
      const period = periodContaining(schedule, at)
      expect(period.startMs % dayMs === 0).toBe(true)
      expect(periodContaining(schedule, period.startMs)).toEqual(period)
      expect(periodContaining(schedule, period.endMs).startMs).toBe(period.endMs)
      expect(periodContaining(schedule, period.startMs - 1).endMs).toBe(period.startMs)
    },
  )

  test.prop([Arbitraries.refillSchedule, Arbitraries.moment])(
    "each period starts on the scheduled day",
    (schedule, at) => {
      const { startMs, endMs } = periodContaining(schedule, at)
      const start = new Date(startMs)
      if (schedule.period === "daily") expect(endMs - startMs).toBe(dayMs)
      if (schedule.period === "weekly") {
        expect(endMs - startMs).toBe(7 * dayMs)
        expect(((start.getUTCDay() + 6) % 7) + 1).toBe(schedule.weekday)
      }
      if (schedule.period === "monthly") {
        const daysInMonth = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0)).getUTCDate()
        expect(start.getUTCDate()).toBe(Math.min(schedule.dayOfMonth, daysInMonth))
      }
    },
  )

  test.prop([Arbitraries.refillSchedule, Arbitraries.moment, Arbitraries.moment])(
    "a later moment is never in an earlier period",
    (schedule, a, b) => {
      const [early, late] = a <= b ? [a, b] : [b, a]
      expect(periodContaining(schedule, early).startMs).toBeLessThanOrEqual(periodContaining(schedule, late).startMs)
    },
  )

  test.prop([fc.constantFrom(...Array.from({ length: 31 }, (_, i) => i + 1)), fc.integer({ min: 1970, max: 2199 })])(
    "a monthly schedule has twelve periods a year",
    (dayOfMonth, year) => {
      const schedule = { period: "monthly" as const, dayOfMonth }
      let period = periodContaining(schedule, Date.UTC(year, 0, 1))
      let count = 0
      while (period.startMs < Date.UTC(year + 1, 0, 1)) {
        if (period.startMs >= Date.UTC(year, 0, 1)) count++
        period = periodContaining(schedule, period.endMs)
      }
      expect(count).toBe(12)
    },
  )
})
