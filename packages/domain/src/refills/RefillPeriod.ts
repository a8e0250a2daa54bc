import type { RefillSchedule } from "./RefillSettings.ts"

/** One refill period: from `startMs` (included) to `endMs` (excluded), epoch milliseconds, UTC. */
export interface RefillPeriod {
  readonly startMs: number
  readonly endMs: number
}

const dayMs = 24 * 60 * 60 * 1000

const startOfDay = (atMs: number) => Math.floor(atMs / dayMs) * dayMs

/** ISO weekday of a UTC day start: 1 Monday ... 7 Sunday (1970-01-01 was a Thursday, 4). */
const weekdayOf = (dayStartMs: number) => ((((Math.floor(dayStartMs / dayMs) + 3) % 7) + 7) % 7) + 1

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate()

/** Midnight UTC of the monthly boundary in `month` (0-based, may run past 11 or below 0) of `year`. */
const monthlyBoundary = (year: number, month: number, dayOfMonth: number) => {
  const first = new Date(Date.UTC(year, month, 1))
  const y = first.getUTCFullYear()
  const m = first.getUTCMonth()
  return Date.UTC(y, m, Math.min(dayOfMonth, daysInMonth(y, m)))
}

/**
 * The period of `schedule` that contains `atMs`. Pure calendar arithmetic on UTC: the caller passes
 * the time (from its clock), so tests choose it.
 */
export const periodContaining = (schedule: RefillSchedule, atMs: number): RefillPeriod => {
  const day = startOfDay(atMs)
  switch (schedule.period) {
    case "daily":
      return { startMs: day, endMs: day + dayMs }
    case "weekly": {
      const startMs = day - ((weekdayOf(day) - schedule.weekday + 7) % 7) * dayMs
      return { startMs, endMs: startMs + 7 * dayMs }
    }
    case "monthly": {
      const at = new Date(atMs)
      const year = at.getUTCFullYear()
      const month = at.getUTCMonth()
      const thisMonth = monthlyBoundary(year, month, schedule.dayOfMonth)
      return thisMonth <= atMs
        ? { startMs: thisMonth, endMs: monthlyBoundary(year, month + 1, schedule.dayOfMonth) }
        : { startMs: monthlyBoundary(year, month - 1, schedule.dayOfMonth), endMs: thisMonth }
    }
  }
}

/** A period's name, its first day (`2025-03-01`): what an idempotency key of its refill is built from. */
export const periodName = (period: RefillPeriod) => new Date(period.startMs).toISOString().slice(0, 10)
