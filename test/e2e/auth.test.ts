import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { request, runTally, type Service, startService } from "./TallyProcess.ts"

/**
 * With TALLY_API_TOKEN set every /v1 route wants `Authorization: Bearer <token>`; without one the
 * service only listens on loopback. Storage plays no part here, so the service keeps it in memory.
 */

const token = "test-token-0123456789abcdef"
let service: Service

beforeAll(async () => {
  service = await startService({ TALLY_API_TOKEN: token }, ["--memory"])
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
})

const topUp = (headers: Record<string, string>) =>
  request(`${service.url}/v1/accounts/guarded/top-ups`, { body: { amount: 10 }, headers })

describe("bearer-token auth", () => {
  it("answers 401 to a /v1 request without the token, with a wrong one, or with another scheme", async () => {
    for (const headers of [
      {},
      { Authorization: "Bearer wrong-token-0123456789abcdef" },
      { Authorization: `Bearer ${token}x` },
      { Authorization: `Basic ${Buffer.from(`user:${token}`).toString("base64")}` },
      { Authorization: token },
    ]) {
      const reply = await topUp(headers)
      expect(reply.status).toBe(401)
      expect(reply.body).toMatchObject({ _tag: "Unauthorized" })
    }
    const balance = await request(`${service.url}/v1/accounts/guarded/balance`)
    expect(balance.status).toBe(401)
    expect((await request(`${service.url}/v1/audit`)).status).toBe(401)
  })

  it("accepts the token, and nothing was written by the refused requests", async () => {
    const auth = { Authorization: `Bearer ${token}` }
    const reply = await topUp(auth)

    expect(reply.status).toBe(200)
    expect(reply.body.entry.sequence).toBe(1)
    expect((await request(`${service.url}/v1/accounts/guarded/balance`, { headers: auth })).body.balance).toBe(10)
  })

  it("checks the token before the body, so a caller without it learns nothing about validation", async () => {
    const reply = await request(`${service.url}/v1/accounts/guarded/top-ups`, { raw: "{not json" })
    expect(reply.status).toBe(401)
  })

  it("leaves /health, /openapi.json and /docs open", async () => {
    expect((await request(`${service.url}/health`)).body).toEqual({ status: "ok", storage: "memory", database: "up" })
    expect((await request(`${service.url}/openapi.json`)).status).toBe(200)
    expect((await fetch(`${service.url}/docs`)).status).toBe(200)
  })
})

describe("listening safely", () => {
  it("refuses to listen beyond loopback without a token, and refuses bad settings, naming them", async () => {
    const [exposed, short, port] = await Promise.all([
      runTally(["serve", "--memory", "--host", "0.0.0.0", "--port", "0"]),
      runTally(["serve", "--memory"], { TALLY_API_TOKEN: "short" }),
      runTally(["serve", "--memory"], { PORT: "eighty" }),
    ])

    expect(exposed.code).toBe(2)
    expect(exposed.stderr).toContain("refusing to listen on 0.0.0.0 without TALLY_API_TOKEN")
    expect(short.code).toBe(2)
    expect(short.stderr).toContain("TALLY_API_TOKEN: must be at least 16 characters")
    expect(port.code).toBe(2)
    expect(port.stderr).toContain("PORT: ")
  })
})
