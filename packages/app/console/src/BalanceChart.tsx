import { useEffect, useRef } from "preact/hooks"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"
import type { Entry } from "./api.ts"
import { credits, localTime, tickCredits, tickTimes } from "./format.ts"

/** The credit axis's steps: 1, 2 and 5 times each power of ten up to 10^16 (past 2^53). */
const creditSteps = Array.from({ length: 17 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat()

/** The time axis's steps, in seconds: from one second to a year. */
const timeSteps = [
  1,
  5,
  10,
  15,
  30,
  60,
  300,
  600,
  900,
  1_800,
  3_600,
  3 * 3_600,
  6 * 3_600,
  12 * 3_600,
  86_400,
  2 * 86_400,
  7 * 86_400,
  14 * 86_400,
  30 * 86_400,
  91 * 86_400,
  182 * 86_400,
  365 * 86_400,
]

/** The balance after each entry, over time, as a step line (a balance holds until the next entry). */
export const BalanceChart = ({ entries, width }: { entries: ReadonlyArray<Entry>; width: number }) => {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = host.current
    if (element === null || entries.length === 0) return
    const oldestFirst = [...entries].reverse()
    const times = oldestFirst.map((entry) => Date.parse(entry.createdAt) / 1000)
    const values = oldestFirst.map((entry) => entry.balanceAfter)
    // The newest balance holds until now: the line runs to the present, so one entry still draws a line.
    const nowSeconds = Date.now() / 1000
    if (times[times.length - 1]! < nowSeconds) {
      times.push(nowSeconds)
      values.push(values[values.length - 1]!)
    }
    const data: uPlot.AlignedData = [times, values]
    const plot = new uPlot(
      {
        width,
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        // Wide enough apart that a narrow screen's time labels do not run into each other.
        axes: [
          // Whole seconds at least (uPlot's own labels went to ":37.000"), labelled in one form per axis.
          { stroke: "#333", space: 100, incrs: timeSteps, values: (_u, ticks) => tickTimes(ticks) },
          // Whole credits: a fractional step labelled "1,000, 1,000, 999" on a small range.
          { stroke: "#333", size: 70, incrs: creditSteps, values: (_u, ticks) => ticks.map(tickCredits) },
        ],
        series: [
          {},
          {
            label: "Balance",
            stroke: "#1d4ed8",
            width: 2,
            fill: "rgba(29, 78, 216, 0.08)",
            paths: uPlot.paths.stepped!({ align: 1 }),
          },
        ],
      },
      data,
      element,
    )
    return () => plot.destroy()
  }, [entries, width])
  const first = entries[entries.length - 1]
  const last = entries[0]
  const label =
    first === undefined || last === undefined
      ? "No entries in this range"
      : `Balance over time: ${entries.length} entries from ${localTime(first.createdAt)} (${credits(first.balanceAfter)}) to ${localTime(last.createdAt)} (${credits(last.balanceAfter)})`
  return <div ref={host} class="chart" role="img" aria-label={label} />
}
