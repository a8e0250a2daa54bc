import { Tracer } from "effect"
import type { BatchStats, SpanTime } from "./BenchRecord.ts"

/**
 * Watches the group commit from outside, through the spans Tally and the SQL client already make.
 * The adapter wraps each batch in a `PgLedgerStore.batch` span carrying its operation count; the
 * tracer keeps those counts, and the time spent per span name (per statement, keyed by the start
 * of its SQL), so a run shows where a batch's time goes. Spans are otherwise the native ones.
 */
const batchSpanName = "PgLedgerStore.batch"
const queryKeyLength = 60
const spanTimesMax = 12

/** Statement texts repeat (they are prepared), so each is shortened once. */
const queryKeys = new Map<string, string>()

const keyOf = (span: Tracer.NativeSpan): string => {
  const query = span.attributes.get("db.query.text")
  if (typeof query !== "string") return span.name
  let key = queryKeys.get(query)
  if (key === undefined) {
    key = `sql: ${query.replace(/\s+/g, " ").trim().slice(0, queryKeyLength)}`
    queryKeys.set(query, key)
  }
  return key
}

export const make = () => {
  let sizes: Array<number> = []
  let times = new Map<string, { count: number; totalNs: bigint }>()
  let recording = false

  class ProfiledSpan extends Tracer.NativeSpan {
    override end(endTime: bigint, exit: Parameters<Tracer.NativeSpan["end"]>[1]) {
      if (recording && this.status._tag === "Started") {
        if (this.name === batchSpanName) sizes.push(Number(this.attributes.get("operations") ?? 0))
        const key = keyOf(this)
        const time = times.get(key) ?? { count: 0, totalNs: 0n }
        time.count++
        time.totalNs += endTime - this.status.startTime
        times.set(key, time)
      }
      super.end(endTime, exit)
    }
  }

  return {
    tracer: Tracer.make({ span: (options) => new ProfiledSpan(options) }),
    /** Records from now on, forgetting what came before. */
    start: () => {
      sizes = []
      times = new Map()
      recording = true
    },
    stop: () => {
      recording = false
    },
    stats: (elapsedS: number): BatchStats => {
      const sorted = Float64Array.from(sizes).sort()
      const total = sorted.reduce((sum, size) => sum + size, 0)
      const batch = times.get(batchSpanName)
      const spans: Array<SpanTime> = [...times]
        .sort(([, a], [, b]) => Number(b.totalNs - a.totalNs))
        .slice(0, spanTimesMax)
        .map(([name, { count, totalNs }]) => ({ name, count, meanMs: Number(totalNs) / 1e6 / count }))
      return {
        batches: sorted.length,
        batchesPerSecond: sorted.length / elapsedS,
        sizeMean: sorted.length === 0 ? 0 : total / sorted.length,
        sizeP50: sorted[Math.floor(sorted.length / 2)] ?? 0,
        sizeMax: sorted[sorted.length - 1] ?? 0,
        durationMeanMs: batch === undefined ? 0 : Number(batch.totalNs) / 1e6 / batch.count,
        spans,
      }
    },
  }
}
