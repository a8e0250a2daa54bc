import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { request, runTally, type Service, startService } from "./e2e/TallyProcess.ts"
import { createDatabase } from "./support/TestDatabase.ts"

/**
 * Grants as a platform meets them: a `tally serve` process on PostgreSQL spoken to over HTTP (its
 * sweep warning an hour ahead), the `tally` command line on the same database, and a webhook receiver
 * on 127.0.0.1. What expires next shows in every balance answer; a grant coming within the lead time
 * is warned of once, by the feed and by webhook; a completed auto top-up can be a grant.
 */

const hourMs = 3_600_000
let env: Record<string, string>
let service: Service
let receiver: Server
let received: Array<{ type: string; accountId: string; data: { grant: { grantId: number } } }> = []

beforeAll(async () => {
  env = { DATABASE_URL: await createDatabase("read committed"), TALLY_GRANT_EXPIRING_LEAD_MS: String(hourMs) }
  service = await startService(env)
  receiver = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk) => {
      body += chunk
    })
    req.on("end", () => {
      received.push(JSON.parse(body))
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
})

afterAll(async () => {
  receiver?.close()
  expect(await service?.stop("SIGTERM")).toBe(0)
})

const url = (path: string) => `${service.url}${path}`
const tally = (...args: Array<string>) => runTally(args, env)
const json = async (...args: Array<string>) => {
  const result = await tally(...args, "--json")
  return { ...result, body: JSON.parse(result.stdout) }
}

/** The account's `grant.expiring` events in the feed after `after`, waiting up to `waitSeconds` for the first. */
const warningsOf = async (accountId: string, after: number, waitSeconds: number) => {
  const page = await request(url(`/v1/events?after=${after}&limit=500&wait=${waitSeconds}`))
  const events: Array<{ id: number; type: string; accountId: string; data: { amount: number; expiresAt: string } }> =
    page.body.events
  return events.filter((event) => event.type === "grant.expiring" && event.accountId === accountId)
}

describe("grants over HTTP and the command line", () => {
  it("the balance answer says what expires next, over HTTP and from tally balance", async () => {
    const account = "grants-balance"
    const expiresAt = new Date(Date.now() + 48 * hourMs).toISOString()
    await request(url(`/v1/accounts/${account}/top-ups`), { body: { amount: 1000 } })
    expect((await request(url(`/v1/accounts/${account}/balance`))).body).toEqual({
      accountId: account,
      balance: 1000,
      held: 0,
      available: 1000,
      expiresNext: null,
    })
    await request(url(`/v1/accounts/${account}/top-ups`), { body: { amount: 300, kind: "grant", expiresAt } })
    await request(url(`/v1/accounts/${account}/spends`), { body: { amount: 100 } })
    const expiresNext = { amount: 200, at: expiresAt }
    expect((await request(url(`/v1/accounts/${account}/balance`))).body).toEqual({
      accountId: account,
      balance: 1200,
      held: 0,
      available: 1200,
      expiresNext,
    })
    expect((await json("balance", account)).body).toEqual({
      accountId: account,
      balance: 1200,
      held: 0,
      available: 1200,
      expiresNext,
    })
    const text = await tally("balance", account)
    expect(text.stdout.trim()).toBe(`${account}: 1200 credits; 200 expire at ${expiresAt}`)
  })

  it("a grant coming within the lead time is warned of once, in the feed and by webhook", async () => {
    const hook = await request(url("/v1/webhooks"), {
      body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tally` },
    })
    expect(hook.status, hook.text).toBe(200)
    const account = "grants-warned"
    const start = (await request(url("/v1/events?after=0&limit=500"))).body.next as number
    const expiresAt = new Date(Date.now() + hourMs / 2).toISOString()
    const made = await request(url(`/v1/accounts/${account}/top-ups`), {
      body: { amount: 80, kind: "grant", expiresAt },
    })
    const grantId = made.body.entry.sequence
    // The service's sweep runs every second: the event comes within a few.
    const deadline = Date.now() + 60_000
    let warnings = await warningsOf(account, start, 1)
    while (warnings.length === 0 && Date.now() < deadline) warnings = await warningsOf(account, start, 1)
    expect(warnings.map((event) => [event.data.amount, event.data.expiresAt])).toEqual([[80, expiresAt]])
    // Later sweeps warn of it no more.
    expect(await warningsOf(account, warnings[0]!.id, 3)).toEqual([])
    const listed = (await request(url(`/v1/accounts/${account}/grants`))).body.grants
    expect(listed).toMatchObject([{ grantId, warnedAt: expect.any(String) }])
    while (!received.some((event) => event.type === "grant.expiring") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200))
    expect(
      received
        .filter((event) => event.type === "grant.expiring")
        .map((event) => [event.accountId, event.data.grant.grantId]),
    ).toEqual([[account, grantId]])
    received = []
  })

  it("tally complete-auto-top-up --expires-at --priority credits a grant, and tally grants lists it", async () => {
    // Settings and the spend that opens the request over HTTP: the command line is what is under test.
    const account = "grants-auto"
    await request(url(`/v1/accounts/${account}/top-ups`), { body: { amount: 50 } })
    const settings = await request(url(`/v1/accounts/${account}/auto-top-up`), {
      method: "PUT",
      body: { threshold: 100, amount: 500 },
    })
    expect(settings.status, settings.text).toBe(200)
    await request(url(`/v1/accounts/${account}/spends`), { body: { amount: 10 } })
    const expiresAt = new Date(Date.now() + 365 * 24 * hourMs).toISOString()
    const completed = await tally(
      "complete-auto-top-up",
      account,
      "1",
      "--payment-reference",
      "pi_grant_cli",
      "--expires-at",
      expiresAt,
      "--priority",
      "7",
    )
    expect(completed.code, completed.stderr).toBe(0)
    const grants = await json("grants", account)
    expect(grants.body).toMatchObject({
      accountId: account,
      grants: [{ status: "live", amount: 500, remaining: 500, priority: 7, expiresAt }],
      expiresNext: { amount: 500, at: expiresAt },
    })
    const listed = await tally("grants", account)
    expect(listed.stdout).toContain(`500 of 500 left  priority 7  expires ${expiresAt}`)
  })
})
