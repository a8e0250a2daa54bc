import type * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { MemoryLedger } from "@tally/adapters"
import { HotRoutes, TallyHttp } from "@tally/app"
import { Effect, Exit, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

/**
 * The hot routes on a real node:http server, with the service's own rules: which requests they
 * answer themselves, and which they leave untouched to the `TallyApi` app (here a stand-in that
 * answers 418 and records them). What they answer is compared with the app's answers in
 * `e2e/hot-routes.test.ts`.
 */

const token = "hot-routes-token-0123456789"
const quiet = { arrivals: false, answers: false, json: Option.none() }

interface Server {
  readonly url: string
  /** Requests the hot routes left to the app, as `METHOD url`. */
  readonly declined: Array<string>
  readonly close: () => Promise<void>
}

const serve = async (apiToken: Option.Option<Redacted.Redacted<string>>): Promise<Server> => {
  const scope = Effect.runSync(Scope.make())
  const rules = TallyHttp.hotRules({ host: "127.0.0.1", port: 0, apiToken }, quiet)
  const hot = await Effect.runPromise(
    HotRoutes.make(rules).pipe(Effect.provide(MemoryLedger.layer), Scope.provide(scope)),
  )
  const declined: Array<string> = []
  const server = HotRoutes.createServer({}, hot)
  server.on("request", (request: Http.IncomingMessage, response: Http.ServerResponse) => {
    declined.push(`${request.method} ${request.url}`)
    request.resume()
    response.writeHead(418).end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    declined,
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      await Effect.runPromise(Scope.close(scope, Exit.void))
    },
  }
}

let open: Server
let guarded: Server

beforeAll(async () => {
  ;[open, guarded] = await Promise.all([serve(Option.none()), serve(Option.some(Redacted.make(token)))])
})

afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()])
})

interface Sent {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
}

const json = { "content-type": "application/json" }
const topUp = JSON.stringify({ amount: 5 })

const send = async (server: Server, { method, path, headers, body }: Sent) => {
  const response = await fetch(`${server.url}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: headers ?? (body === undefined ? {} : json),
    ...(body === undefined ? {} : { body }),
  })
  await response.arrayBuffer()
  return response.status
}

describe("the hot routes", () => {
  it("answer well-formed top-ups, spends and balance reads themselves, bad bodies included", async () => {
    const served: ReadonlyArray<Sent> = [
      { path: "/v1/accounts/hot-1/top-ups", body: topUp },
      { path: "/v1/accounts/hot-1/top-ups", body: JSON.stringify({ amount: 5, ceiling: 3 }) },
      { path: "/v1/accounts/hot-1/spends", body: JSON.stringify({ amount: 2, mode: "available" }) },
      { path: "/v1/accounts/hot-1/spends", body: topUp, headers: { ...json, "idempotency-key": "k-1" } },
      { path: "/v1/accounts/hot-1/balance" },
      {
        path: "/v1/accounts/hot-1/top-ups",
        body: topUp,
        headers: { "content-type": "Application/JSON; charset=utf-8" },
      },
      { path: "/v1/accounts/hot-1/top-ups", body: '{"amount": ' },
      { path: "/v1/accounts/hot-1/top-ups", body: JSON.stringify({ amount: 0, ceilng: 1 }) },
    ]
    const statuses = []
    for (const sent of served) statuses.push(await send(open, sent))

    expect(open.declined).toEqual([])
    expect(statuses).toEqual([200, 409, 200, 409, 200, 200, 400, 400])
  })

  it("answer a request with the token when one is configured", async () => {
    const auth = { authorization: `Bearer ${token}` }
    expect(
      await send(guarded, { path: "/v1/accounts/hot-2/top-ups", body: topUp, headers: { ...json, ...auth } }),
    ).toBe(200)
    expect(await send(guarded, { path: "/v1/accounts/hot-2/balance", headers: auth })).toBe(200)
    expect(guarded.declined).toEqual([])
  })

  it("leave to the app every request it would not hand to those endpoints' handlers", async () => {
    const account = "/v1/accounts/hot-3"
    const declined: ReadonlyArray<Sent> = [
      { path: `${account}/top-ups?x=1`, body: topUp },
      { path: "/v1/accounts/h%6Ft-3/top-ups", body: topUp },
      { path: `${account}/top-ups/`, body: topUp },
      { path: `/v1/accounts/${"a".repeat(129)}/top-ups`, body: topUp },
      { path: "/v1/accounts/bad:id!/top-ups", body: topUp },
      { method: "PUT", path: `${account}/top-ups`, body: topUp },
      { method: "DELETE", path: `${account}/balance` },
      { path: `${account}/balance`, body: topUp },
      { path: `${account}/top-ups`, body: topUp, headers: { "content-type": "text/plain" } },
      { path: `${account}/top-ups`, body: topUp, headers: {} },
      { path: `${account}/top-ups`, body: "", headers: json },
      { path: `${account}/top-ups`, body: "x".repeat(TallyHttp.Limits.bodyBytesMax + 1) },
      { path: `${account}/top-ups`, body: topUp, headers: { ...json, "idempotency-key": "k".repeat(256) } },
      { path: `${account}/top-ups`, body: topUp, headers: { ...json, "sec-fetch-site": "cross-site" } },
      { path: `${account}/top-ups`, body: topUp, headers: { ...json, "sec-fetch-site": "same-origin" } },
      { path: `${account}/top-ups`, body: topUp, headers: { ...json, origin: "http://evil.example" } },
      { path: `${account}/balance`, headers: { "sec-fetch-site": "none" } },
      { path: `${account}/entries` },
      { path: `${account}/settings` },
      { path: "/v1/audit" },
      { path: "/health" },
      { path: "/openapi.json" },
    ]
    for (const sent of declined) expect(await send(open, sent), JSON.stringify(sent)).toBe(418)

    expect(open.declined).toHaveLength(declined.length)
  })

  it("leave every request without the right token to the app when one is configured", async () => {
    const path = "/v1/accounts/hot-4/top-ups"
    for (const authorization of [
      undefined,
      "Bearer wrong-token-0123456789",
      `bearer ${token}`,
      `Bearer  ${token}`,
      token,
    ]) {
      const headers = authorization === undefined ? json : { ...json, authorization }
      expect(await send(guarded, { path, body: topUp, headers }), authorization).toBe(418)
    }
    expect(await send(guarded, { path: "/v1/accounts/hot-4/balance" })).toBe(418)
  })
})
