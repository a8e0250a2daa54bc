import * as Http from "node:http"
import * as Net from "node:net"
import { TallyHttp } from "@tally/app"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accountId, type Service, startService } from "./TallyProcess.ts"

/**
 * Callers that do not play by the rules: a web page in the user's browser reaching a token-less
 * Tally on loopback, and clients that send their request slowly to hold connections open. Storage
 * plays no part, so the services keep it in memory.
 */

const token = "hostile-test-token-0123456789"
let open: Service
let guarded: Service

beforeAll(async () => {
  ;[open, guarded] = await Promise.all([
    startService({}, ["--memory"]),
    startService({ TALLY_API_TOKEN: token }, ["--memory"]),
  ])
})

afterAll(async () => {
  expect(await open?.stop("SIGTERM")).toBe(0)
  expect(await guarded?.stop("SIGTERM")).toBe(0)
})

interface Answer {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the service sent
  readonly body: any
}

/** One request with exactly the headers given (fetch would drop or add some, as browsers do). */
const send = (
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = Http.request(new URL(path, base), { method, headers }, (res) => {
      let text = ""
      res.on("data", (chunk) => {
        text += chunk
      })
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? null : JSON.parse(text) }))
    })
    req.on("error", reject)
    req.end(body)
  })

const json = { "content-type": "application/json" }
const topUpBody = JSON.stringify({ amount: 10 })
const balanceOf = async (service: Service, account: string, headers: Record<string, string> = {}) =>
  (await send(service.url, "GET", `/v1/accounts/${account}/balance`, headers)).body.balance

/** Nothing at all reached the account: its balance answers 404 AccountNotFound, not an empty account. */
const expectNeverWritten = async (service: Service, account: string) => {
  const read = await send(service.url, "GET", `/v1/accounts/${account}/balance`, {})
  expect(read.status, JSON.stringify(read.body)).toBe(404)
  expect(read.body._tag).toBe("AccountNotFound")
}

describe("writes carry JSON", () => {
  it("answers 415 to a body a page can send without a preflight (no type, text/plain, a form), and writes nothing", async () => {
    const account = accountId("typeless")
    const path = `/v1/accounts/${account}/top-ups`
    const typeless = await fetch(new URL(path, open.url), { method: "POST", body: new Blob([topUpBody]) })
    const replies = [
      { status: typeless.status, body: await typeless.json() },
      await send(open.url, "POST", path, {}, topUpBody),
      await send(open.url, "POST", path, { "content-type": "text/plain" }, topUpBody),
      await send(open.url, "POST", path, { "content-type": "application/x-www-form-urlencoded" }, "amount=10"),
      await send(open.url, "PUT", `/v1/accounts/${account}/settings`, {}, JSON.stringify({ overdraftLimit: 5 })),
    ]

    for (const reply of replies) {
      expect(reply.status).toBe(415)
      expect(reply.body._tag).toBe("UnsupportedMediaType")
    }
    await expectNeverWritten(open, account)
    expect((await send(open.url, "GET", `/v1/accounts/${account}/settings`, {})).body.overdraftLimit).toBe(0)
  })

  it("accepts application/json with parameters, in any case", async () => {
    const account = accountId("typed")
    const path = `/v1/accounts/${account}/top-ups`
    for (const type of ["application/json; charset=utf-8", "Application/JSON"]) {
      expect((await send(open.url, "POST", path, { "content-type": type }, topUpBody)).status).toBe(200)
    }
    expect(await balanceOf(open, account)).toBe(20)
  })
})

describe("without a token, what a browser sends from another site", () => {
  const port = () => new URL(open.url).port

  it("is refused 403, reads and writes alike, and writes nothing", async () => {
    const account = accountId("cross-site")
    const crossSite: ReadonlyArray<Record<string, string>> = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "http://evil.example" },
      { origin: "null" },
      { origin: `https://127.0.0.1:${port()}` },
      { origin: "http://127.0.0.1:1" },
      // DNS rebinding: the page's origin is the attacker's name, resolved to loopback.
      { origin: `http://rebound.example:${port()}`, host: `rebound.example:${port()}` },
    ]
    for (const headers of crossSite) {
      const write = await send(open.url, "POST", `/v1/accounts/${account}/top-ups`, { ...json, ...headers }, topUpBody)
      expect(write.status, JSON.stringify(headers)).toBe(403)
      expect(write.body._tag).toBe("Forbidden")
      const read = await send(open.url, "GET", `/v1/accounts/${account}/balance`, headers)
      expect(read.status, JSON.stringify(headers)).toBe(403)
    }
    await expectNeverWritten(open, account)
  })

  it("is served when it comes from the service's own pages, and so is any client that is not a browser", async () => {
    const account = accountId("own-origin")
    const path = `/v1/accounts/${account}/top-ups`
    const allowed: ReadonlyArray<Record<string, string>> = [
      {},
      { "sec-fetch-site": "none" },
      { "sec-fetch-site": "same-origin", origin: `http://127.0.0.1:${port()}` },
      { origin: `http://localhost:${port()}`, host: `localhost:${port()}` },
    ]
    for (const headers of allowed) {
      expect((await send(open.url, "POST", path, { ...json, ...headers }, topUpBody)).status).toBe(200)
    }
    expect(await balanceOf(open, account)).toBe(40)
  })
})

describe("with a token, a request from another site", () => {
  it("is judged by the token alone", async () => {
    const account = accountId("token-judged")
    const crossSite = { "sec-fetch-site": "cross-site", origin: "http://evil.example" }
    const auth = { authorization: `Bearer ${token}` }
    const path = `/v1/accounts/${account}/top-ups`

    expect((await send(guarded.url, "POST", path, { ...json, ...crossSite }, topUpBody)).status).toBe(401)
    expect((await send(guarded.url, "POST", path, { ...json, ...crossSite, ...auth }, topUpBody)).status).toBe(200)
    expect(await balanceOf(guarded, account, auth)).toBe(10)
  })
})

/** Resolves when the server closes the connection, with what it sent and how long it stayed open. */
const slowClient = (url: string, start: (socket: Net.Socket) => void) =>
  new Promise<{ readonly answer: string; readonly openMs: number }>((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const openedAt = Date.now()
    let answer = ""
    const socket = Net.connect(Number(port), hostname, () => start(socket))
    socket.on("data", (chunk) => {
      answer += chunk
    })
    socket.on("error", reject)
    socket.on("close", () => resolve({ answer, openMs: Date.now() - openedAt }))
  })

describe("request deadlines", () => {
  const { headersTimeoutMs, requestTimeoutMs, deadlineCheckIntervalMs } = TallyHttp.Limits
  /** A deadline is checked every interval; the rest allows for a busy machine. */
  const lateness = deadlineCheckIntervalMs + 4_000

  it("answers 408 and closes a connection whose headers or body miss their deadline, writing nothing", async () => {
    const account = accountId("slow")
    const [slowHeaders, slowBody] = await Promise.all([
      slowClient(open.url, (socket) => socket.write(`GET /v1/accounts/${account}/balance HTTP/1.1\r\nHost: x\r\n`)),
      // A body sent one byte every second never finishes, yet keeps the connection busy.
      slowClient(open.url, (socket) => {
        socket.write(
          `POST /v1/accounts/${account}/top-ups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"amount": 5`,
        )
        const drip = setInterval(() => (socket.destroyed ? clearInterval(drip) : socket.write(" ")), 1_000)
      }),
    ])

    expect(slowHeaders.answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(bodyOf(slowHeaders.answer)).toMatchObject({ _tag: "RequestTimeout", message: expect.any(String) })
    expect(slowHeaders.openMs).toBeLessThan(headersTimeoutMs + lateness)
    expect(slowBody.answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(slowBody.openMs).toBeLessThan(requestTimeoutMs + lateness)
    await expectNeverWritten(open, account)
  }, 60_000)
})

/** The JSON body of a raw HTTP answer. */
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))

describe("requests node:http itself refuses", () => {
  it.each([
    [
      "headers over 16 KiB",
      `GET /v1/accounts/a/balance HTTP/1.1\r\nHost: x\r\nX-Big: ${"y".repeat(17_000)}\r\n\r\n`,
      431,
      "RequestHeadersTooLarge",
    ],
    [
      "two Content-Lengths",
      "POST /v1/accounts/a/top-ups HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
      400,
      "InvalidRequest",
    ],
    ["a request line that is not HTTP", "NOT HTTP AT ALL\r\n\r\n", 400, "InvalidRequest"],
  ])("%s: answered with its status and a JSON error, and the connection closed", async (_, request, status, tag) => {
    const { answer } = await slowClient(open.url, (socket) => socket.write(request))
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
    expect(answer).toMatch(/\r\nContent-Type: application\/json\r\n/i)
    expect(bodyOf(answer)).toEqual({ _tag: tag, message: expect.any(String) })
  })
})

describe("query parameters a route does not take", () => {
  it.each([
    "/v1/accounts/a/entries?refrence=run-7",
    "/v1/entries/export?refrence=run-7",
    "/v1/accounts/a/totals?kind=usage",
  ])("%s: refused with 400, as unknown body fields are, not read as no filter", async (path) => {
    const answer = await send(open.url, "GET", path, {})
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ _tag: "InvalidRequest", message: expect.any(String) })
  })
})
