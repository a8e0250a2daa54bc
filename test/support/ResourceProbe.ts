import * as Fs from "node:fs"

/**
 * Loaded into a process under test (`node --import ./test/support/ResourceProbe.ts ...`): every
 * `TALLY_TEST_PROBE_MS` it appends one JSON line to `TALLY_TEST_PROBE_FILE` with what the process
 * holds: resident memory, heap, open file descriptors and its live handles by kind (timers, sockets).
 * What grows over a long run shows there.
 */

const file = process.env.TALLY_TEST_PROBE_FILE
const everyMs = Number(process.env.TALLY_TEST_PROBE_MS ?? 10_000)

if (file !== undefined) {
  const sample = () => {
    const resources: Record<string, number> = {}
    for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1
    const line = {
      atMs: Date.now(),
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
      fds: Fs.readdirSync("/proc/self/fd").length,
      resources,
    }
    Fs.appendFileSync(file, `${JSON.stringify(line)}\n`)
  }
  // The probe's own timer is one of the timers it counts; it never keeps the process alive.
  setInterval(sample, everyMs).unref()
}
