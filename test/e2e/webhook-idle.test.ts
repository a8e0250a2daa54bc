import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { balanceLowAppender } from "../support/EventAppenders.ts"
import * as FaultProxy from "../support/FaultProxy.ts"
import { createDatabase } from "../support/TestDatabase.ts"
import { request, runTally, type Service, startService } from "./TallyProcess.ts"

/**
 * A service with no webhook endpoint sends PostgreSQL no webhook work but a look for an endpoint, and
 * still delivers to one that another process created (the CLI, on the same database), and to one stored
 * before it restarted. The service reaches PostgreSQL through a proxy that records every statement.
 */

let databaseUrl: string
let proxy: FaultProxy.FaultProxy
let proxiedUrl: string
let service: Service | undefined

beforeAll(async () => {
  databaseUrl = await createDatabase()
  const url = new URL(databaseUrl)
  proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
  url.port = String(proxy.port)
  proxiedUrl = url.toString()
})

afterAll(async () => {
  if (service !== undefined) expect(await service.stop("SIGTERM")).toBe(0)
  await proxy?.close()
})

const env = () => ({ DATABASE_URL: proxiedUrl, TALLY_WEBHOOK_RETRY_MS: "200" })

const appendEvents = balanceLowAppender(() => databaseUrl, "idle")

/** A receiver on 127.0.0.1 that answers 200 and keeps the ids of the events it got. */
const receiver = async () => {
  const received: Array<number> = []
  const server: Server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk) => {
      body += chunk
    })
    req.on("end", () => {
      received.push(JSON.parse(body).id)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const until = async (condition: () => boolean, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Statements that read or write webhook deliveries or lock endpoints: a dispatcher's round. */
const isRound = (sql: string) => /webhook_deliveries|FOR UPDATE SKIP LOCKED/.test(sql)
const isHoldSweep = (sql: string) => /FROM holds\s+WHERE status = 'open' AND expires_at IS NOT NULL/.test(sql)

describe("the webhook dispatcher with nothing to deliver", () => {
  it("sends no round while no endpoint exists, only a look for one", async () => {
    service = await startService(env())
    proxy.executed()
    // Three passes of the hold sweep (one a second): a dispatcher polling every 250 ms would run a dozen rounds.
    const seen: Array<string> = []
    await until(() => {
      seen.push(...proxy.executed())
      return seen.filter(isHoldSweep).length >= 3
    }, "three passes of the hold sweep")
    expect(seen.filter(isRound)).toEqual([])
    expect(seen.filter((sql) => sql.includes("webhook_endpoints")).length).toBeGreaterThan(0)
  })

  it("delivers to an endpoint another process created, and to it again after a restart", async () => {
    const hook = await receiver()
    try {
      // The CLI is another process on the same database: the service hears nothing from it.
      const created = await runTally(["webhooks", "create", hook.url, "--json"], { DATABASE_URL: databaseUrl })
      expect(created.code, created.stderr).toBe(0)
      const [first] = await appendEvents(1)
      await until(() => hook.received.includes(first!.id), "the event delivered by the running service")

      expect(await service!.stop("SIGTERM")).toBe(0)
      service = undefined
      const [second] = await appendEvents(1)
      service = await startService(env())
      await until(() => hook.received.includes(second!.id), "the event delivered after the restart")
      expect(hook.received).toEqual([first!.id, second!.id])

      const listed = (await request(`${service.url}/v1/webhooks`)).body.endpoints
      expect(listed.map((endpoint: { url: string }) => endpoint.url)).toEqual([hook.url])
    } finally {
      await hook.close()
    }
  })
})
