import { useEffect, useRef } from "preact/hooks"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"
import type { Entry } from "./api.ts"
import { credits, localTime, tickCredits } from "./format.ts"

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
          { stroke: "#333", space: 80 },
          { stroke: "#333", size: 70, values: (_u, ticks) => ticks.map(tickCredits) },
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
