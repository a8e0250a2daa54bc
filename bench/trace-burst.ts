import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { EmbeddedPostgres } from "@tally/adapters"
import { Effect, Redacted } from "effect"
import { statementLog } from "./StatementLog.ts"

/**
 * `node --import tsx bench/trace-burst.ts`: what PostgreSQL executes for writes to one account through
 * `tally serve` (from the sources), as the server logs them (log_min_duration_statement=0): ten lone
 * writes at one connection, then twenty bursts of sixteen concurrent writes, keyed and unkeyed. Each
 * section prints its statements grouped by text; a locked transaction shows as BEGIN ... COMMIT, the
 * compare-and-swap statement as `WITH x AS`. The service's background work (webhook deliveries, the
 * sweeps of due holds, grants, requests and refills) shows too.
 */
const { logDir, logFile, settings } = statementLog("tally-burst-")
const port = 20_000 + (process.pid % 10_000)
const base = `http://127.0.0.1:${port}/v1/accounts`
let keysIssued = 0

const write = (kind: "top-ups" | "spends", amount: number, keyed: boolean) =>
  fetch(`${base}/hot/${kind}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(keyed ? { "idempotency-key": `burst-${process.pid}-${++keysIssued}` } : {}),
    },
    body: JSON.stringify({ amount }),
  }).then((response) => response.text())

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `body`, then prints what the server executed meanwhile, grouped by the start of each text. */
const section = async (label: string, body: () => Promise<unknown>) => {
  await pause(300)
  const offset = Fs.statSync(logFile).size
  await body()
  await pause(500)
  const executed = Fs.readFileSync(logFile, "utf8")
    .slice(offset)
    .split(/\n(?=\d{4}-\d\d-\d\d )/)
    .filter((entry) => entry.includes("duration:") && / execute /.test(entry))
    .map((entry) =>
      entry
        .replace(/^.*? execute [^:]*: /, "")
        .replace(/\s+/g, " ")
        .trim()
        .slice(0, 80),
    )
  const counts = new Map<string, number>()
  for (const text of executed) counts.set(text, (counts.get(text) ?? 0) + 1)
  console.log(`\n${label}: ${executed.length} statements`)
  for (const [text, count] of counts) console.log(`  ${String(count).padStart(4)}  ${text}`)
}

const burst = (keyed: boolean) => async () => {
  for (let round = 0; round < 20; round++) {
    await Promise.all(Array.from({ length: 16 }, (_, i) => write(i % 2 === 0 ? "top-ups" : "spends", 1, keyed)))
  }
}

const program = Effect.gen(function* () {
  const server = yield* EmbeddedPostgres.start({
    dataDir: Path.join("/tmp", `tally-burst-db-${process.pid}`),
    throwaway: true,
    settings,
  })
  const service = spawn(
    process.execPath,
    ["--import", "tsx", "packages/app/src/main.ts", "serve", "--port", String(port)],
    { env: { ...process.env, DATABASE_URL: Redacted.value(server.url) }, stdio: ["ignore", "ignore", "inherit"] },
  )
  yield* Effect.promise(async () => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const ready = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status < 500,
        () => false,
      )
      if (ready) break
      await pause(100)
    }
    await write("top-ups", 1_000_000, false)
    for (let i = 0; i < 50; i++) await write("spends", 1, true)
    await section("10 lone keyed spends, 1 connection", async () => {
      for (let i = 0; i < 10; i++) await write("spends", 1, true)
    })
    await section("10 lone unkeyed spends, 1 connection", async () => {
      for (let i = 0; i < 10; i++) await write("spends", 1, false)
    })
    await section("20 bursts of 16 concurrent keyed writes", burst(true))
    await section("20 bursts of 16 concurrent unkeyed writes", burst(false))
  })
  service.kill("SIGTERM")
}).pipe(Effect.scoped)

Effect.runPromise(program).finally(() => Fs.rmSync(logDir, { recursive: true, force: true }))
