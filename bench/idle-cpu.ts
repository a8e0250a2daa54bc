import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import * as Database from "./Database.ts"
import * as Launcher from "./http/Launcher.ts"
import * as Resources from "./Resources.ts"

/**
 * `node --import tsx bench/idle-cpu.ts [--seconds 30] [--rounds 2]`: the CPU that `tally serve` (built, on
 * PostgreSQL, default settings) and PostgreSQL spend per second while nobody calls the service, read
 * from `/proc`: first PostgreSQL alone with no service connected, then the service with no webhook
 * endpoint, then with one endpoint and no events to deliver. Each phase is measured `rounds` times.
 */

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "30" }, rounds: { type: "string", default: "2" } },
})
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)
/** A fresh service reads its cache and opens its pool first: that is start-up, not idling. */
const settleMs = 3_000

const window = (server: Database.Server, servicePid: number | undefined) =>
  Effect.gen(function* () {
    const before = {
      pg: Resources.ticks(server.postmasterPid).postgres,
      tally: servicePid && Resources.processTicks(servicePid),
    }
    yield* Effect.sleep(seconds * 1000)
    const after = {
      pg: Resources.ticks(server.postmasterPid).postgres,
      tally: servicePid && Resources.processTicks(servicePid),
    }
    const perSecondMs = (ticks: number) => ((ticks / Resources.ticksPerSecond) * 1000) / seconds
    return {
      postgresMsPerS: perSecondMs(after.pg - before.pg),
      serviceMsPerS: servicePid === undefined ? null : perSecondMs((after.tally ?? 0) - (before.tally ?? 0)),
    }
  })

const line = (phase: string, m: { postgresMsPerS: number; serviceMsPerS: number | null }) =>
  `${phase}: PostgreSQL ${m.postgresMsPerS.toFixed(2)} ms CPU/s` +
  (m.serviceMsPerS === null ? "" : `, service ${m.serviceMsPerS.toFixed(2)} ms CPU/s`) +
  `, load average ${Os.loadavg()[0]!.toFixed(1)}`

const program = Effect.gen(function* () {
  const server = yield* Database.acquire
  const logDir = yield* Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-idle-"))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })),
  )
  for (let round = 1; round <= rounds; round++) {
    console.log(line(`round ${round}, PostgreSQL alone`, yield* window(server, undefined)))
    yield* Effect.scoped(
      Effect.gen(function* () {
        const url = yield* Database.fresh(server, "idle")
        const service = yield* Launcher.tally({ storage: { databaseUrl: url }, logDir })
        yield* Effect.sleep(settleMs)
        console.log(line(`round ${round}, service, no endpoint`, yield* window(server, service.pid)))
        const created = yield* Effect.promise(() =>
          fetch(`${service.url}/v1/webhooks`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ url: "http://127.0.0.1:9/idle" }),
          }),
        )
        if (!created.ok) return yield* Effect.die(new Error(`creating an endpoint: ${created.status}`))
        yield* Effect.sleep(settleMs)
        console.log(line(`round ${round}, service, one endpoint`, yield* window(server, service.pid)))
      }),
    )
  }
}).pipe(Effect.scoped)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
