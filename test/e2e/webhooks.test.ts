import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { balanceLowAppender } from "../support/EventAppenders.ts"
import { createDatabase } from "../support/TestDatabase.ts"
import { request, type Service, startService } from "./TallyProcess.ts"

/**
 * Events and webhooks as an app meets them: two `tally serve` processes on one PostgreSQL, spoken to
 * over HTTP, delivering to receivers on 127.0.0.1. The events come from writes (auto top-up), and,
 * where a test needs many at once, are appended to the database as the write path does, in a
 * transaction of their own.
 */

/** Short enough for a quick test, long enough that a loaded machine's prompt answer is not a timeout. */
const attemptTimeoutMs = 3_000
let databaseUrl: string
let services: Array<Service> = []

beforeAll(async () => {
  databaseUrl = await createDatabase("read committed")
  const env = {
    DATABASE_URL: databaseUrl,
    TALLY_WEBHOOK_TIMEOUT_MS: String(attemptTimeoutMs),
    TALLY_WEBHOOK_RETRY_MS: "200",
  }
  services = await Promise.all([startService(env), startService(env)])
})

afterAll(async () => {
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")))
  expect(codes).toEqual([0, 0])
})

const url = (path: string, which = 0) => `${services[which]!.url}${path}`

const appendEvents = balanceLowAppender(() => databaseUrl, "hooked")

/** The README's verification, verbatim: HMAC-SHA256 over `t.body`, compared in constant time. */
const verifyTallySignature = (rawBody: string, header: string, secret: string, toleranceSeconds = 300) => {
  const fields = new Map(header.split(",").map((part) => part.trim().split("=", 2) as [string, string]))
  const timestamp = fields.get("t")
  const signature = Buffer.from(fields.get("v1") ?? "", "hex")
  if (timestamp === undefined || !/^\d+$/.test(timestamp)) return false
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest()
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= toleranceSeconds
  return fresh && signature.length === expected.length && timingSafeEqual(signature, expected)
}

interface Received {
  readonly body: string
  readonly headers: IncomingMessage["headers"]
  readonly status: number | "hung"
}

/**
 * A receiver on 127.0.0.1 that answers each event's attempts as `script` says: a status (once `answering`
 * settles), or hanging.
 */
const receiver = async (script: (attempt: number) => number | "hang", answering = Promise.resolve()) => {
  const received: Array<Received> = []
  const attempts = new Map<string, number>()
  const hanging: Array<ServerResponse> = []
  const server: Server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk) => {
      body += chunk
    })
    req.on("end", () => {
      const eventId = String(req.headers["tally-event-id"])
      const attempt = (attempts.get(eventId) ?? 0) + 1
      attempts.set(eventId, attempt)
      const answer = script(attempt)
      received.push({ body, headers: req.headers, status: answer === "hang" ? "hung" : answer })
      if (answer === "hang") hanging.push(res)
      else void answering.then(() => res.writeHead(answer).end())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/tally`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.close(() => resolve())
      }),
  }
}

const until = async (condition: () => boolean, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("the event feed over HTTP", () => {
  it("pages the feed with after=, and a waiting read returns an event appended meanwhile", async () => {
    const start = (await request(url("/v1/events?limit=500"))).body
    let after = start.next
    while (true) {
      const page = (await request(url(`/v1/events?after=${after}&limit=500`))).body
      if (page.events.length === 0) break
      after = page.next
    }
    const waiting = request(url(`/v1/events?after=${after}&wait=15`, 1))
    const [event] = await appendEvents(1)
    const page = await waiting
    expect(page.status).toBe(200)
    expect(page.body).toEqual({ events: [JSON.parse(JSON.stringify(event))], next: event!.id })
  })

  it("refuses an after that names no event, and a wait past the longest", async () => {
    const unknown = await request(url("/v1/events?after=999999999"))
    expect(unknown.status).toBe(400)
    expect(unknown.body._tag).toBe("InvalidRequest")
    expect((await request(url("/v1/events?wait=3600"))).status).toBe(400)
  })
})

describe("webhooks", () => {
  it("a receiver that fails, times out, then succeeds gets every event, signed, and the attempts show it", async () => {
    const hook = await receiver((attempt) => (attempt === 1 ? 500 : attempt === 2 ? "hang" : 200))
    try {
      const created = await request(url("/v1/webhooks"), { body: { url: hook.url } })
      expect(created.status).toBe(200)
      const { id, secret } = created.body
      const events = await appendEvents(4)
      const delivered = () => new Set(hook.received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body).id))
      await until(() => events.every((e) => delivered().has(e.id)), "every event delivered")

      for (const r of hook.received) {
        expect(verifyTallySignature(r.body, String(r.headers["tally-signature"]), secret)).toBe(true)
        expect(r.headers["content-type"]).toContain("application/json")
        expect(JSON.parse(r.body).id).toBe(Number(r.headers["tally-event-id"]))
      }
      const bodies = new Map(hook.received.map((r) => [JSON.parse(r.body).id, JSON.parse(r.body)]))
      for (const event of events) expect(bodies.get(event.id)).toEqual(JSON.parse(JSON.stringify(event)))
      expect(
        verifyTallySignature(
          hook.received[0]!.body,
          String(hook.received[0]!.headers["tally-signature"]),
          "whsec_not-the-secret",
        ),
      ).toBe(false)

      // The receiver answered; the dispatcher records the attempt right after.
      let deliveries: Array<{ status: string; attempts: Array<{ statusCode: number | null; error: string | null }> }> =
        []
      const recorded = async () => {
        deliveries = (await request(url(`/v1/webhooks/${id}/deliveries`, 1))).body.deliveries
        return deliveries.length === 4 && deliveries.every((d) => d.status !== "pending")
      }
      for (let tries = 0; !(await recorded()) && tries < 600; tries++) await new Promise((r) => setTimeout(r, 50))
      for (const delivery of deliveries) {
        expect(delivery.status).toBe("delivered")
        expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, null, 200])
        expect(delivery.attempts[1]!.error).toBe(`timeout after ${attemptTimeoutMs} ms`)
      }
    } finally {
      await hook.close()
    }
  })

  it("a receiver gets the events that spends and an auto top-up's completion emit, signed", async () => {
    const hook = await receiver((attempt) => (attempt === 1 ? 503 : 200))
    try {
      const { id, secret } = (await request(url("/v1/webhooks"), { body: { url: hook.url } })).body
      const account = `hooked-writes-${Date.now().toString(36)}`
      await request(url(`/v1/accounts/${account}/top-ups`), { body: { amount: 150 } })
      await request(url(`/v1/accounts/${account}/auto-top-up`, 1), {
        method: "PUT",
        body: { threshold: 100, amount: 500 },
      })
      await request(url(`/v1/accounts/${account}/spends`, 1), { body: { amount: 80 } })
      const completed = await request(url(`/v1/accounts/${account}/auto-top-up/requests/1/complete`), {
        body: { paymentReference: "pi_hooked" },
      })
      expect(completed.status, completed.text).toBe(200)
      const delivered = () =>
        hook.received
          .filter((r) => r.status === 200)
          .map((r) => JSON.parse(r.body))
          .filter((event) => event.accountId === account)
      await until(() => delivered().length >= 3, "the three events of the account delivered")
      expect(delivered().map((event) => event.type)).toEqual(
        expect.arrayContaining(["balance.low", "auto_top_up.requested", "auto_top_up.completed"]),
      )
      const completion = delivered().find((event) => event.type === "auto_top_up.completed")
      expect(completion.data).toMatchObject({
        request: { requestId: 1, status: "completed", paymentReference: "pi_hooked" },
        entrySequence: 3,
        balanceAfter: 570,
      })
      for (const r of hook.received) {
        expect(verifyTallySignature(r.body, String(r.headers["tally-signature"]), secret)).toBe(true)
      }
      expect((await request(url(`/v1/webhooks/${id}`), { method: "DELETE" })).status).toBe(200)
    } finally {
      await hook.close()
    }
  })

  it("two service processes deliver each event once, not once each", async () => {
    const hook = await receiver(() => 200)
    try {
      const { id } = (
        await request(url("/v1/webhooks", 1), { body: { url: hook.url, secret: "a-shared-secret-of-ours" } })
      ).body
      const events = await appendEvents(30)
      await until(() => hook.received.length >= events.length, "30 deliveries")
      // Room for a second delivery of any event, were both processes to deliver it.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      let deliveries: Array<{ eventId: number; status: string; attempts: Array<{ statusCode: number | null }> }> = []
      for (let tries = 0; tries < 600; tries++) {
        deliveries = (await request(url(`/v1/webhooks/${id}/deliveries?limit=200`))).body.deliveries
        if (deliveries.length === events.length && deliveries.every((d) => d.status !== "pending")) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const received = new Map<number, number>()
      for (const r of hook.received) received.set(JSON.parse(r.body).id, (received.get(JSON.parse(r.body).id) ?? 0) + 1)
      expect([...received.keys()].sort((a, b) => a - b)).toEqual(events.map((e) => e.id))
      // Every post was an attempt one process claimed: two processes never both deliver an event. An
      // event arrives again only after an attempt Tally saw fail (at least once, never once per process).
      for (const delivery of deliveries) {
        expect(delivery.status).toBe("delivered")
        expect(received.get(delivery.eventId)).toBe(delivery.attempts.length)
        expect(delivery.attempts.slice(0, -1).every((a) => a.statusCode !== 200)).toBe(true)
      }
      expect((await request(url(`/v1/webhooks/${id}`), { method: "DELETE" })).body).toEqual({ id, deleted: true })
      expect((await request(url(`/v1/webhooks/${id}`, 1), { method: "DELETE" })).status).toBe(404)
    } finally {
      await hook.close()
    }
  })

  it("a creation retried with its Idempotency-Key answers the endpoint it created, and adds no other", async () => {
    const hookUrl = "http://127.0.0.1:9/keyed-creation"
    const create = (body: object, key: string) =>
      request(url("/v1/webhooks"), { body, headers: { "Idempotency-Key": key } })
    const first = await create({ url: hookUrl }, "create-hook-1")
    expect(first.status, first.text).toBe(200)
    expect(first.headers.get("idempotent-replayed")).toBeNull()
    // The answer lost on its way, as a dropped connection loses it: the caller retries with the same key.
    const retried = await create({ url: hookUrl }, "create-hook-1")
    expect(retried.status).toBe(200)
    expect(retried.headers.get("idempotent-replayed")).toBe("true")
    expect(retried.body).toEqual(first.body)
    const conflict = await create({ url: `${hookUrl}/other` }, "create-hook-1")
    expect(conflict.status).toBe(409)
    expect(conflict.body).toMatchObject({ _tag: "WebhookIdempotencyConflict", endpointId: first.body.id })
    const { endpoints } = (await request(url("/v1/webhooks"))).body
    expect(endpoints.filter((e: { url: string }) => e.url.startsWith(hookUrl))).toEqual([
      { id: first.body.id, url: hookUrl, createdAt: first.body.createdAt },
    ])
    expect((await request(url(`/v1/webhooks/${first.body.id}`), { method: "DELETE" })).status).toBe(200)
  })

  it("a receiver that has not answered does not hold up another: the prompt one gets every event meanwhile", async () => {
    // A service of its own, on a database of its own, whose attempts outlast the test: the slow receiver's
    // posts stay in flight until it answers, so what it can hold up is counted, not timed.
    const lonelyUrl = await createDatabase("read committed")
    const lonely = await startService({ DATABASE_URL: lonelyUrl, TALLY_WEBHOOK_TIMEOUT_MS: "60000" })
    let answer = () => {}
    const slow = await receiver(
      () => 200,
      new Promise<void>((resolve) => {
        answer = resolve
      }),
    )
    const prompt = await receiver(() => 200)
    try {
      for (const hook of [slow, prompt]) await request(`${lonely.url}/v1/webhooks`, { body: { url: hook.url } })
      const events = await balanceLowAppender(() => lonelyUrl, "beside-slow")(120)
      const received = (hook: typeof slow) => new Set(hook.received.map((r) => JSON.parse(r.body).id))
      await until(() => events.every((e) => received(prompt).has(e.id)), "every event at the prompt receiver", 30_000)
      // A process has at most 8 posts in flight to one endpoint; batches that waited for their slowest post
      // gave the prompt receiver no more than the first 32 claimed.
      expect(slow.received.length).toBeLessThanOrEqual(8)
      answer()
      await until(() => events.every((e) => received(slow).has(e.id)), "every event at the slow receiver", 30_000)
    } finally {
      answer()
      await Promise.all([slow.close(), prompt.close()])
      expect(await lonely.stop("SIGTERM")).toBe(0)
    }
  }, 120_000)

  it("lists endpoints without secrets and refuses a URL that is not http(s)", async () => {
    const refused = await request(url("/v1/webhooks"), { body: { url: "file:///etc/passwd" } })
    expect(refused.status).toBe(400)
    const { endpoints } = (await request(url("/v1/webhooks"))).body
    expect(endpoints.length).toBeGreaterThan(0)
    for (const endpoint of endpoints) expect(Object.keys(endpoint).sort()).toEqual(["createdAt", "id", "url"])
  })
})
