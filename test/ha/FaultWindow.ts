import { monitorEventLoopDelay } from "node:perf_hooks"
import type { HealthChange } from "./HealthWatch.ts"
import type { Attempt, LoadHistory } from "./WriteLoad.ts"

/**
 * What a fault did to the requests of a write load (`WriteLoad`): the attempts it caught, how long
 * each waited for its answer, the answers by kind, and how soon writes landed again once it ended.
 */

export interface FaultWindow {
  readonly startMs: number
  readonly endMs: number
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Attempts sent while the fault held, or still waiting for an answer when it began. */
export const caughtBy = (history: LoadHistory, fault: FaultWindow) =>
  history.records.flatMap((record) =>
    record.attempts.filter(
      (a) => a.sentAtMs < fault.endMs && (a.status === null ? Infinity : a.answeredAtMs) > fault.startMs,
    ),
  )

export const faultFigures = (history: LoadHistory, fault: FaultWindow, health: ReadonlyArray<HealthChange>) => {
  const caught = caughtBy(history, fault)
  // Each request's own wait, from when its client sent it to its answer.
  const waits = caught.map((a) => a.answeredAtMs - a.sentAtMs).sort((a, b) => a - b)
  const byAnswer: Record<string, number> = {}
  for (const a of caught) {
    const label = a.status === null ? "no answer" : `${a.status}${a.tag === null ? "" : ` ${a.tag}`}`
    byAnswer[label] = (byAnswer[label] ?? 0) + 1
  }
  const landedAfter = history.records
    .flatMap((record) => record.attempts)
    .filter((a) => a.answer._tag === "Landed" && a.sentAtMs >= fault.endMs)
    .map((a) => a.answeredAtMs)
  return {
    caught: caught.length,
    answeredDuringFault: caught.filter((a) => a.status !== null && a.answeredAtMs < fault.endMs).length,
    longestWait: seconds(waits[waits.length - 1] ?? 0),
    medianWait: seconds(waits[Math.floor(waits.length / 2)] ?? 0),
    answers: byAnswer,
    firstWriteAfterFault: landedAfter.length === 0 ? "none" : seconds(Math.min(...landedAfter) - fault.endMs),
    health: health.map(
      (change) => `${seconds(change.atMs - fault.startMs)}: ${change.status} ${change.database} (${change.url})`,
    ),
  }
}

/**
 * Requests the fault caught that were not answered within `deadlineMs`, counted from when the
 * client sent them, with `marginMs` for the harness itself: its clock reads the send before the
 * request is written and the answer after it is read, each up to one turn of its own event loop late.
 */
export const answeredLate = (
  caught: ReadonlyArray<Attempt>,
  fault: FaultWindow,
  deadlineMs: number,
  marginMs: number,
) =>
  caught
    .filter((a) => a.status === null || a.answeredAtMs - a.sentAtMs > deadlineMs + marginMs)
    .map(
      (a) =>
        `sent at ${seconds(a.sentAtMs - fault.startMs)}, ${a.status === null ? "never answered" : `answered ${a.status} after ${seconds(a.answeredAtMs - a.sentAtMs)}`}`,
    )

/**
 * `run`, and the margin the harness needs for its own lateness meanwhile: twice its longest
 * event-loop delay (a late send stamp, a late answer stamp), at least 50 ms.
 */
export const withHarnessMargin = async <A>(
  run: () => Promise<A>,
): Promise<{ readonly value: A; readonly marginMs: number }> => {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  try {
    const value = await run()
    return { value, marginMs: Math.max(50, (2 * histogram.max) / 1e6) }
  } finally {
    histogram.disable()
  }
}
