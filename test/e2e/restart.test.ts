import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { isRunning, runningPostmasterPid, signalServer } from "../support/Postmaster.ts"
import { freshDataDir, request, type Service, startService } from "./TallyProcess.ts"

/**
 * A service's life on one data directory: stopped by a signal it finishes what it started and
 * keeps its data; killed outright it starts again without repair.
 */

const dataDir = freshDataDir("restart")
const env = { TALLY_DATA_DIR: dataDir, TALLY_LOG_LEVEL: "Debug" }
let service: Service | undefined

afterAll(async () => {
  await service?.stop("SIGKILL")
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

const balanceOf = async (account: string) => (await request(`${service!.url}/v1/accounts/${account}/balance`)).body

/** A top-up whose body is sent in two parts, so the test decides when the request can finish. */
const slowTopUp = (url: string, account: string, amount: number) => {
  const body = JSON.stringify({ amount })
  const target = new URL(`/v1/accounts/${account}/top-ups`, url)
  let finish = () => {}
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = Http.request(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": body.length, "x-request-id": "slow-1" },
      },
      (res) => {
        let text = ""
        res.on("data", (chunk) => {
          text += chunk
        })
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on("error", reject)
    req.write(body.slice(0, 5))
    finish = () => req.end(body.slice(5))
  })
  return { reply, finish: () => finish() }
}

describe("restarts", () => {
  it("on SIGTERM finishes the request in flight, stops PostgreSQL, releases the directory and exits 0", async () => {
    service = await startService(env)
    await request(`${service.url}/v1/accounts/kept/top-ups`, { body: { amount: 700 } })

    const inFlight = slowTopUp(service.url, "kept", 50)
    await service.waitFor('"requestId":"slow-1"') // its handler is waiting for the rest of the body
    const stopped = service.stop("SIGTERM")
    await service.waitFor("shutting down")
    inFlight.finish()

    expect((await inFlight.reply).status).toBe(200)
    expect(await stopped).toBe(0)
    expect(Fs.existsSync(Path.join(dataDir, "owner.json"))).toBe(false)
    expect(Fs.existsSync(Path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false)
  })

  it("starts again on the same directory with the data kept", async () => {
    service = await startService(env)

    expect(await balanceOf("kept")).toEqual({
      accountId: "kept",
      balance: 750,
      held: 0,
      available: 750,
      expiresNext: null,
    })
    await request(`${service.url}/v1/accounts/kept/spends`, { body: { amount: 50 } })
  })

  it("starts again after kill -9 without manual repair, data kept and the audit clean", async () => {
    expect(await service!.stop("SIGKILL")).toBeNull()

    service = await startService(env)

    expect(await balanceOf("kept")).toEqual({
      accountId: "kept",
      balance: 700,
      held: 0,
      available: 700,
      expiresNext: null,
    })
    const audit = await request(`${service.url}/v1/audit`)
    expect(audit.body).toMatchObject({ accountsChecked: 1, entriesChecked: 3, violations: [] })
    expect(await service.stop("SIGINT")).toBe(0)
    service = undefined
  })

  it("when PostgreSQL dies under it, starts it again: the data kept, writes answered, SIGTERM still exits 0", async () => {
    service = await startService(env)
    expect((await request(`${service.url}/v1/accounts/revived/top-ups`, { body: { amount: 10 } })).status).toBe(200)
    const postmasterPid = runningPostmasterPid(Path.join(dataDir, "postgres"))
    // The whole server: a postmaster killed alone leaves its backends answering for a moment.
    process.kill(-postmasterPid, "SIGKILL")
    // SIGKILL is sent at once but acted on when the processes next run: wait until they are gone.
    while (isRunning(postmasterPid)) await new Promise((resolve) => setTimeout(resolve, 20))

    // Nothing restarts a server the service runs but itself: it must come back without anyone's help.
    const deadline = Date.now() + 30_000
    while ((await request(`${service.url}/health`)).status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect((await request(`${service.url}/health`)).body).toMatchObject({ status: "ok", database: "up" })
    expect((await request(`${service.url}/v1/accounts/revived/top-ups`, { body: { amount: 5 } })).body).toMatchObject({
      entry: { sequence: 2, balanceAfter: 15 },
    })
    expect(service.output()).toContain(`PostgreSQL ${postmasterPid} ended (SIGKILL) while in use; starting it again`)
    // The server accepts connections a moment before the service sees its lock file say so.
    while (!service.output().includes("PostgreSQL started again") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(service.output()).toContain("PostgreSQL started again")

    expect(await service.stop("SIGTERM")).toBe(0)
    expect(Fs.existsSync(Path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false)
    expect(Fs.existsSync(Path.join(dataDir, "owner.json"))).toBe(false)
    service = undefined
  })

  it("on SIGTERM while the database is stalled, answers the write in flight a 503 that says what became of it", async () => {
    service = await startService(env)
    const pgData = Path.join(dataDir, "postgres")
    signalServer(pgData, "SIGSTOP")
    try {
      const write = request(`${service.url}/v1/accounts/stalled/top-ups`, {
        body: { amount: 5 },
        headers: { "Idempotency-Key": "stalled-1" },
      })
      await service.waitFor('"path":"/v1/accounts/stalled/top-ups"')
      const stopped = service.stop("SIGTERM")
      // Past the server's 10 s of grace (the request's deadline is 15.5 s): cut short, it was an empty 503.
      const reply = await write
      expect(reply.status, reply.text).toBe(503)
      expect(["LedgerUnavailable", "OutcomeUnknown"]).toContain(reply.body?._tag)
      expect(reply.headers.get("retry-after")).toBe("1")
      expect(reply.headers.get("connection")).toBe("close")
      signalServer(pgData, "SIGCONT")
      expect(await stopped).toBe(0)
    } finally {
      signalServer(pgData, "SIGCONT")
    }
  })
})
