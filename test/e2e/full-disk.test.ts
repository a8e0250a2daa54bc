import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readLedger, reconcile } from "../ha/Reconcile.ts"
import { startLoad } from "../ha/WriteLoad.ts"
import { baseEnv, repoRoot, request } from "./TallyProcess.ts"

/**
 * `tally serve` with its embedded PostgreSQL and its own log on one small volume (a tmpfs mounted
 * for the test) that fills up under 16 clients writing keyed top-ups and spends: writes answer 503
 * naming the full disk, reads keep answering, the service keeps running although its log has no
 * room, and once space is freed writing resumes by itself. Every answer is then reconciled with the
 * ledger: nothing half-written, nothing said unwritten that was written. Mounting needs root (CI
 * runs as root); as anyone else the test says so and does not run.
 */

const isRoot = process.getuid?.() === 0
const volumeSize = "160m"
const chunk = Buffer.alloc(1 << 20)
const runId = Date.now().toString(36)
const accounts = Array.from({ length: 8 }, (_, i) => `disk-${runId}-${i}`)
const probeAccount = `disk-${runId}-probe`

let volume: string
let child: ChildProcess
let url: string

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const exited = () => child.exitCode !== null || child.signalCode !== null

beforeAll(async () => {
  if (!isRoot) return
  volume = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-full-disk-"))
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${volumeSize},mode=0755`, "tmpfs", volume])
  const log = Fs.openSync(Path.join(volume, "tally.log"), "a")
  child = spawn(process.execPath, ["--import", "tsx", "packages/app/src/main.ts", "serve", "--port", "0"], {
    cwd: repoRoot,
    env: baseEnv({ TALLY_DATA_DIR: Path.join(volume, "data"), TALLY_DB_RETRY_MS: "1000" }),
    stdio: ["ignore", log, log],
  })
  Fs.closeSync(log)
  for (let waited = 0; ; waited += 100) {
    const found = /Tally is listening on (http:\/\/\S+)/.exec(Fs.readFileSync(Path.join(volume, "tally.log"), "utf8"))
    if (found !== null) {
      url = found[1]!
      break
    }
    if (exited() || waited > 90_000) throw new Error(Fs.readFileSync(Path.join(volume, "tally.log"), "utf8"))
    await sleep(100)
  }
}, 120_000)

afterAll(async () => {
  if (!isRoot) return
  if (child !== undefined && !exited()) {
    const code = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGTERM")
    expect(await code).toBe(0)
  }
  execFileSync("umount", ["--lazy", volume])
  Fs.rmSync(volume, { recursive: true, force: true })
})

/** Fills what is left of the volume with a file of its own; returns its path. */
const fill = () => {
  const filler = Path.join(volume, "filler")
  const fd = Fs.openSync(filler, "w")
  try {
    for (;;) Fs.writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error
  } finally {
    Fs.closeSync(fd)
  }
  return filler
}

describe.skipIf(!isRoot)("on a full disk (root only: the test mounts a small tmpfs; skipped otherwise)", () => {
  it("writes answer 503 naming the full disk, reads answer, the service keeps running, and writing resumes once space is freed", async () => {
    const load = startLoad({ urls: [url], accounts, clients: 16, idPrefix: `disk-${runId}` })
    await load.progress(200)
    const filler = fill()

    // The next write that needs a page the volume cannot give is refused, naming the cause. The probes
    // go to an account of their own, outside the load's history: each one answered 200 is one entry.
    let refusal: Awaited<ReturnType<typeof request>> | undefined
    let probesWritten = 0
    for (let i = 0; refusal === undefined && i < 2_000; i++) {
      const reply = await request(`${url}/v1/accounts/${probeAccount}/top-ups`, {
        body: { amount: 1, metadata: { pad: "x".repeat(2_000) } },
      })
      if (reply.status === 200) probesWritten++
      else refusal = reply
    }
    expect(refusal?.status, refusal?.text).toBe(503)
    expect(refusal?.body).toMatchObject({ _tag: "LedgerUnavailable" })
    expect(refusal?.body.message).toContain("disk is full")
    expect(refusal?.headers.get("retry-after")).toBe("1")

    // Reads keep answering, while the clients keep retrying and the service keeps logging to no room.
    for (const account of accounts) {
      expect((await request(`${url}/v1/accounts/${account}/balance`)).status).toBe(200)
    }
    await sleep(3_000)
    expect(exited()).toBe(false)

    Fs.rmSync(filler)
    await load.progress(200)
    const history = await load.stop()
    const findings = reconcile(history, await readLedger(url, accounts))
    const refused = history.records.flatMap((r) => r.attempts).filter((a) => a.tag === "LedgerUnavailable").length
    console.log(`full disk: ${history.records.length} writes, ${refused} answered 503 LedgerUnavailable`)
    expect(findings).toEqual([])
    // The refused probe wrote nothing: the probe account holds exactly the probes answered 200.
    const probes = await request(`${url}/v1/accounts/${probeAccount}/entries?limit=1`)
    expect(probes.body.entries[0]?.balanceAfter ?? 0).toBe(probesWritten)
    expect(exited()).toBe(false)
  })
})
