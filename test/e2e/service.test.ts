import * as Fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accountId, freshDataDir, type Reply, request, type Service, startService } from "./TallyProcess.ts"

/**
 * The service as a caller meets it: `tally serve` in its own process on an embedded PostgreSQL in a
 * fresh data directory, spoken to over HTTP only.
 */

let service: Service
let dataDir: string

beforeAll(async () => {
  dataDir = freshDataDir("e2e")
  service = await startService({ TALLY_DATA_DIR: dataDir })
})

afterAll(async () => {
  const code = await service?.stop("SIGTERM")
  expect(code).toBe(0)
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

const url = (path: string) => `${service.url}${path}`
const topUp = (account: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url(`/v1/accounts/${account}/top-ups`), { body, headers })
const spend = (account: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url(`/v1/accounts/${account}/spends`), { body, headers })
const balanceOf = async (account: string) => (await request(url(`/v1/accounts/${account}/balance`))).body.balance
const entriesOf = async (account: string) => (await request(url(`/v1/accounts/${account}/entries?limit=500`))).body

/** Every error answers JSON `{ _tag, message }` and never shows internals. */
const expectCleanError = (reply: Reply, status: number) => {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.headers.get("content-type")).toContain("application/json")
  expect(typeof reply.body?._tag).toBe("string")
  expect(typeof reply.body?.message).toBe("string")
  expect(reply.text).not.toMatch(/\n\s+at |node_modules|postgres|SqlError|stack/i)
}

describe("the ceiling scenarios over HTTP", () => {
  it("rejects a top-up when the balance is already above the ceiling, and keeps the balance", async () => {
    const account = accountId("reject")
    expect((await topUp(account, { amount: 1000 })).body.balance).toBe(1000)

    const rejected = await topUp(account, { amount: 200, ceiling: 800 })

    expectCleanError(rejected, 409)
    expect(rejected.body).toMatchObject({ _tag: "BalanceAtCeiling", balance: 1000, ceiling: 800, amount: 200 })
    expect(rejected.body.message).toContain("You already have enough balance")
    expect(await balanceOf(account)).toBe(1000)
    expect((await entriesOf(account)).entries).toHaveLength(1)
  })

  it("clamps a top-up that would pass the ceiling to the ceiling, recording requested and applied", async () => {
    const account = accountId("clamp")
    await topUp(account, { amount: 500 })

    const clamped = await topUp(account, { amount: 800, ceiling: 1000 })

    expect(clamped.status).toBe(200)
    expect(clamped.body.balance).toBe(1000)
    expect(clamped.body.entry).toMatchObject({ decision: "Clamped", requested: 800, amount: 500, balanceAfter: 1000 })
    expect(await balanceOf(account)).toBe(1000)
    const { entries } = await entriesOf(account)
    expect(entries.filter((entry: { kind: string }) => entry.kind === "top-up")).toHaveLength(2)
    expect(entries[0]).toMatchObject({ sequence: 2, balanceAfter: 1000 })
  })

  it("applies a top-up under the ceiling in full", async () => {
    const account = accountId("apply")
    await topUp(account, { amount: 300 })

    const applied = await topUp(account, { amount: 200, ceiling: 1000 })

    expect(applied.status).toBe(200)
    expect(applied.body.balance).toBe(500)
    expect(applied.body.entry).toMatchObject({ decision: "Applied", requested: 200, amount: 200, balanceAfter: 500 })
    expect(await balanceOf(account)).toBe(500)
  })
})

describe("spends and settings", () => {
  it("spends exactly, refuses to overdraw, and in available mode takes what is left", async () => {
    const account = accountId("spend")
    await topUp(account, { amount: 100 })

    const exact = await spend(account, { amount: 30 })
    expect(exact.body.entry).toMatchObject({ kind: "usage", decision: "Applied", amount: -30, balanceAfter: 70 })

    const refused = await spend(account, { amount: 100 })
    expectCleanError(refused, 409)
    expect(refused.body).toMatchObject({ _tag: "InsufficientCredits", balance: 70, amount: 100, floor: 0 })

    const available = await spend(account, { amount: 100, mode: "available" })
    expect(available.body.entry).toMatchObject({ decision: "Clamped", requested: -100, amount: -70, balanceAfter: 0 })
    expect(await balanceOf(account)).toBe(0)
  })

  it("lets an account spend into its overdraft limit, and refuses a limit below its debt", async () => {
    const account = accountId("overdraft")
    const settingsUrl = url(`/v1/accounts/${account}/settings`)
    expect((await request(settingsUrl)).body).toEqual({ accountId: account, overdraftLimit: 0 })

    const updated = await request(settingsUrl, { method: "PUT", body: { overdraftLimit: 50 } })
    expect(updated.body).toEqual({ accountId: account, overdraftLimit: 50 })
    expect((await spend(account, { amount: 40 })).body.balance).toBe(-40)

    const tooLow = await request(settingsUrl, { method: "PUT", body: { overdraftLimit: 10 } })
    expectCleanError(tooLow, 409)
    expect(tooLow.body._tag).toBe("OverdraftLimitBelowDebt")
    expect((await request(settingsUrl)).body.overdraftLimit).toBe(50)
  })

  it("pages through entries newest first with the cursor it hands out", async () => {
    const account = accountId("pages")
    for (const amount of [1, 2, 3, 4, 5]) await topUp(account, { amount })

    const first = await request(url(`/v1/accounts/${account}/entries?limit=2`))
    const second = await request(url(`/v1/accounts/${account}/entries?limit=2&cursor=${first.body.nextCursor}`))
    const third = await request(url(`/v1/accounts/${account}/entries?limit=2&cursor=${second.body.nextCursor}`))

    const sequences = [first, second, third].flatMap((page) =>
      page.body.entries.map((entry: { sequence: number }) => entry.sequence),
    )
    expect(sequences).toEqual([5, 4, 3, 2, 1])
    expect(third.body.nextCursor).toBeNull()
    const usage = await request(url(`/v1/accounts/${account}/entries?kind=usage`))
    expect(usage.body).toEqual({ entries: [], nextCursor: null })
  })

  it("refuses a cursor on another account or under another kind filter than it was issued for", async () => {
    const [account, other] = [accountId("cursor"), accountId("cursor-other")]
    for (const amount of [1, 2]) await topUp(account, { amount })
    for (const amount of [1, 2]) await spend(account, { amount })
    await topUp(other, { amount: 9 })
    const entries = (query: string) => request(url(`/v1/accounts/${account}/entries?${query}`))
    const all = (await entries("limit=1")).body.nextCursor
    const usage = (await entries("limit=1&kind=usage")).body.nextCursor

    const misused = [
      await request(url(`/v1/accounts/${other}/entries?cursor=${all}`)),
      await entries(`kind=usage&cursor=${all}`),
      await entries(`cursor=${usage}`),
      await entries(`kind=top-up&cursor=${usage}`),
    ]

    for (const reply of misused) {
      expectCleanError(reply, 400)
      expect(reply.body.message).toContain("cursor was issued for another account or other filters")
    }
    expect((await entries(`cursor=${all}`)).body.entries.map((e: { sequence: number }) => e.sequence)).toEqual([
      3, 2, 1,
    ])
    expect((await entries(`kind=usage&cursor=${usage}`)).body.entries).toMatchObject([{ sequence: 3, amount: -1 }])
  })
})

describe("idempotency over HTTP", () => {
  it("answers a retry with the same key and body with the first response and Idempotent-Replayed: true", async () => {
    const account = accountId("replay")
    const headers = { "Idempotency-Key": "order-1" }

    const first = await topUp(account, { amount: 250, metadata: { order: 1 } }, headers)
    const retry = await topUp(account, { amount: 250, metadata: { order: 1 } }, headers)

    expect(first.status).toBe(200)
    expect(first.headers.get("idempotent-replayed")).toBeNull()
    expect(retry.status).toBe(200)
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect(retry.body).toEqual(first.body)
    expect(await balanceOf(account)).toBe(250)
    expect((await entriesOf(account)).entries).toHaveLength(1)
  })

  it("answers 409 IdempotencyConflict to the same key with a different body, and writes nothing", async () => {
    const account = accountId("conflict")
    const headers = { "Idempotency-Key": "order-2" }
    await topUp(account, { amount: 100 }, headers)

    const conflict = await topUp(account, { amount: 101 }, headers)

    expectCleanError(conflict, 409)
    expect(conflict.body).toMatchObject({ _tag: "IdempotencyConflict", idempotencyKey: "order-2" })
    expect(conflict.headers.get("idempotent-replayed")).toBeNull()
    expect(await balanceOf(account)).toBe(100)
  })

  it("answers a retry of a rejected keyed write with the same rejection, marked Idempotent-Replayed: true", async () => {
    const account = accountId("refusal")
    const headers = { "Idempotency-Key": "spend-1" }

    const first = await spend(account, { amount: 10 }, headers)
    await topUp(account, { amount: 100 })
    const retry = await spend(account, { amount: 10 }, headers)

    expectCleanError(first, 409)
    expect(first.headers.get("idempotent-replayed")).toBeNull()
    expect(retry.status).toBe(409)
    expect(retry.headers.get("idempotent-replayed")).toBe("true")
    expect(retry.body).toEqual(first.body)
    expect(await balanceOf(account)).toBe(100)
  })

  it("applies concurrent duplicates of one keyed write exactly once", async () => {
    const account = accountId("duplicates")
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => topUp(account, { amount: 7 }, { "Idempotency-Key": "once" })),
    )

    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200))
    expect(replies.filter((reply) => reply.headers.get("idempotent-replayed") === "true")).toHaveLength(19)
    expect(new Set(replies.map((reply) => reply.body.entry.sequence))).toEqual(new Set([1]))
    expect(await balanceOf(account)).toBe(7)
  })
})

describe("concurrency over HTTP", () => {
  it("never overdraws under concurrent spends, and keeps the entry chain exact", async () => {
    const account = accountId("race")
    await topUp(account, { amount: 1000 })

    const replies = await Promise.all(Array.from({ length: 60 }, () => spend(account, { amount: 30 })))

    const accepted = replies.filter((reply) => reply.status === 200)
    const refused = replies.filter((reply) => reply.status === 409)
    expect(accepted).toHaveLength(33)
    expect(refused).toHaveLength(27)
    for (const reply of refused) expect(reply.body._tag).toBe("InsufficientCredits")
    expect(await balanceOf(account)).toBe(10)

    const { entries } = await entriesOf(account)
    const chain = [...entries].reverse()
    let running = 0
    for (const [index, entry] of chain.entries()) {
      expect(entry.sequence).toBe(index + 1)
      running += entry.amount
      expect(entry.balanceAfter).toBe(running)
    }
    expect(running).toBe(10)
  })

  it("keeps concurrent writes to many accounts apart", async () => {
    const accounts = Array.from({ length: 10 }, () => accountId("many"))
    await Promise.all(accounts.flatMap((account) => [1, 2, 3, 4].map(() => topUp(account, { amount: 25 }))))

    for (const account of accounts) expect(await balanceOf(account)).toBe(100)
    const audit = await request(url("/v1/audit"))
    expect(audit.status).toBe(200)
    expect(audit.body.violations).toEqual([])
    expect(audit.body.accountsChecked).toBeGreaterThanOrEqual(10)
  })
})

describe("bad input", () => {
  const badBodies: ReadonlyArray<readonly [string, string]> = [
    ["a string amount", JSON.stringify({ amount: "100" })],
    ["a boolean amount", JSON.stringify({ amount: true })],
    ["a missing amount", JSON.stringify({ ceiling: 100 })],
    ["a zero amount", JSON.stringify({ amount: 0 })],
    ["a negative amount", JSON.stringify({ amount: -5 })],
    ["a fractional amount", JSON.stringify({ amount: 1.5 })],
    ["an amount past the safe integers", '{"amount": 9007199254740993}'],
    ["an amount of 1e400", '{"amount": 1e400}'],
    ["a negative ceiling", JSON.stringify({ amount: 5, ceiling: -1 })],
    ["an unknown kind", JSON.stringify({ amount: 5, kind: "usage" })],
    ["a misspelt field", JSON.stringify({ amount: 5, ceilng: 10 })],
    ["metadata that is not an object", JSON.stringify({ amount: 5, metadata: [1, 2] })],
    ["metadata past its limit", JSON.stringify({ amount: 5, metadata: { note: "x".repeat(5000) } })],
    ["malformed JSON", '{"amount": '],
    ["an array", "[1]"],
    ["null", "null"],
    ["an empty body", ""],
  ]

  it.each(badBodies)("answers 400 InvalidRequest to a top-up with %s, and writes nothing", async (_label, raw) => {
    const account = accountId("bad")
    const reply = await request(url(`/v1/accounts/${account}/top-ups`), { raw })

    expectCleanError(reply, 400)
    expect(reply.body._tag).toBe("InvalidRequest")
    expect(await entriesOf(account)).toEqual({ entries: [], nextCursor: null })
  })

  it("answers 400 to a malformed account id, idempotency key, spend mode or query", async () => {
    const account = accountId("bad-slots")
    const replies = [
      await request(url("/v1/accounts/bad%20id/top-ups"), { body: { amount: 5 } }),
      await request(url(`/v1/accounts/${"a".repeat(129)}/balance`)),
      await topUp(account, { amount: 5 }, { "Idempotency-Key": "x".repeat(256) }),
      await spend(account, { amount: 5, mode: "most" }),
      await request(url(`/v1/accounts/${account}/entries?limit=0`)),
      await request(url(`/v1/accounts/${account}/entries?limit=abc`)),
      await request(url(`/v1/accounts/${account}/entries?cursor=not-a-cursor`)),
      await request(url(`/v1/accounts/${account}/settings`), { method: "PUT", body: { overdraftLimit: -1 } }),
    ]
    for (const reply of replies) {
      expectCleanError(reply, 400)
      expect(reply.body._tag).toBe("InvalidRequest")
    }
    expect(await entriesOf(account)).toEqual({ entries: [], nextCursor: null })
  })

  it("answers 400 to an id in a path not written in digits alone, which would name another spelling's resource", async () => {
    const account = accountId("path-ids")
    expect((await topUp(account, { amount: 100 })).status).toBe(200)
    const hold = { body: { amount: 50 }, headers: { "Idempotency-Key": "h1" } }
    expect((await request(url(`/v1/accounts/${account}/holds`), hold)).status).toBe(200)
    expect((await request(url(`/v1/accounts/${account}/holds/1`))).status).toBe(200)
    for (const id of ["01", "1.0", "1e0", "+1", "0x1", " 1"]) {
      const reply = await request(url(`/v1/accounts/${account}/holds/${encodeURIComponent(id)}`))
      expectCleanError(reply, 400)
      expect(reply.body.message).toMatch(/^params\.holdId: Expected a positive integer written in digits/)
    }
    const refund = await request(url(`/v1/accounts/${account}/entries/1e0/refunds`), {
      body: { amount: 10 },
      headers: { "Idempotency-Key": "r1" },
    })
    expectCleanError(refund, 400)
    const capture = await request(url(`/v1/accounts/${account}/holds/1.0/captures`), {
      body: { amount: 10 },
      headers: { "Idempotency-Key": "c1" },
    })
    expectCleanError(capture, 400)
    expect(await balanceOf(account)).toBe(100)
    expect((await entriesOf(account)).entries).toHaveLength(1)
  })

  it("answers 400 to a query parameter or a body its route declares none of, and writes nothing", async () => {
    const account = accountId("undeclared")
    const hold = (key: string) =>
      request(url(`/v1/accounts/${account}/holds`), { body: { amount: 50 }, headers: { "Idempotency-Key": key } })
    const release = (path: string, init: { body?: unknown; raw?: string } = {}) =>
      request(url(`/v1/accounts/${account}/holds/1/release${path}`), {
        method: "POST",
        ...init,
        headers: { "Idempotency-Key": `release-${Math.random()}` },
      })
    expect((await topUp(account, { amount: 100 })).status).toBe(200)
    expect((await hold("h1")).status).toBe(200)
    const refused = [
      // A misspelt query parameter would write a top-up without its ceiling, a partial release a whole one.
      [
        await request(url(`/v1/accounts/${account}/top-ups?ceiling=5`), { body: { amount: 100 } }),
        "query: this route takes no query parameters; got ceiling",
      ],
      [
        await request(url(`/v1/accounts/${account}/balance?at=2026-01-01`)),
        "query: this route takes no query parameters; got at",
      ],
      [await release("", { body: { amount: 10 } }), "body: this route takes no body (send none, or {})"],
      [await release("", { raw: "not json" }), "body: this route takes no body (send none, or {})"],
      [await release("?amount=10"), "query: this route takes no query parameters; got amount"],
    ] as const
    for (const [reply, message] of refused) {
      expectCleanError(reply, 400)
      expect(reply.body).toEqual({ _tag: "InvalidRequest", message })
    }
    expect((await request(url(`/v1/accounts/${account}/holds/1`))).body.status).toBe("open")
    expect(await balanceOf(account)).toBe(100)
    expect((await entriesOf(account)).entries).toHaveLength(1)
    // What says nothing is taken as nothing: no body, `{}`, an empty query.
    expect((await release("?", { body: {} })).body.hold).toMatchObject({ status: "released", captured: 0 })
  })

  it("answers 413 to an oversized body, 415 to a body that is not JSON, 400 to one not in UTF-8, 404 to unknown routes and spellings", async () => {
    const account = accountId("limits")
    const oversized = await request(url(`/v1/accounts/${account}/top-ups`), {
      raw: JSON.stringify({ amount: 5, metadata: { pad: "x".repeat(100_000) } }),
    })
    expectCleanError(oversized, 413)

    const form = await fetch(url(`/v1/accounts/${account}/top-ups`), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "amount=5",
    })
    expect(form.status).toBe(415)

    // A body said to be in another charset would be read as UTF-8 ("café" kept as "caf\uFFFD"): refused.
    for (const contentType of ["application/json; charset=latin1", 'application/json; charset="utf-16"']) {
      const misread = await request(url(`/v1/accounts/${account}/top-ups`), {
        raw: JSON.stringify({ amount: 5, metadata: { note: "café" } }),
        headers: { "content-type": contentType },
      })
      expectCleanError(misread, 415)
    }
    // JSON is UTF-8: bytes that are not would be stored as U+FFFD, on the hot routes and the app's alike.
    for (const [path, json, headers] of [
      [`/v1/accounts/${account}/top-ups`, '{"amount": 5, "metadata": {"note": "café"}}', {}],
      [
        `/v1/accounts/${account}/adjustments`,
        '{"amount": 5, "reason": "café", "actor": "ops"}',
        { "idempotency-key": "a1" },
      ],
    ] as const) {
      const misread = await request(url(path), { raw: Buffer.from(json, "latin1"), headers })
      expectCleanError(misread, 400)
      expect(misread.body).toEqual({ _tag: "InvalidRequest", message: "body: Expected a valid JSON body in UTF-8" })
    }
    const utf8 = { "content-type": "application/json; charset=UTF-8" }
    expect(
      (await request(url(`/v1/accounts/${account}-utf8/top-ups`), { body: { amount: 5 }, headers: utf8 })).status,
    ).toBe(200)

    for (const [method, path] of [
      ["GET", "/v1/nothing"],
      ["GET", "/"],
      ["DELETE", `/v1/accounts/${account}/balance`],
      ["POST", `/v1/accounts/${account}/balance`],
      // Paths are matched letter for letter, as documented.
      ["GET", `/V1/accounts/${account}/balance`],
      ["GET", `//v1/accounts/${account}/entries`],
      ["GET", `/v1/accounts/${account}/balance/`],
    ] as const) {
      expectCleanError(await request(url(path), { method }), 404)
    }
    for (const path of [`/v1/accounts/${account}/top-ups;ceiling=1`, `/v1/accounts/${account}/Top-Ups`]) {
      expectCleanError(await request(url(path), { body: { amount: 5 } }), 404)
    }
    expect(await entriesOf(account)).toEqual({ entries: [], nextCursor: null })
  })

  it("answers 431 to oversized headers", async () => {
    const reply = await fetch(url("/health"), { headers: { "x-padding": "x".repeat(20_000) } })
    expect(reply.status).toBe(431)
  })
})

describe("operations", () => {
  it("reports on /health that the database answers", async () => {
    const health = await request(url("/health"))
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ status: "ok", storage: "embedded-postgres", database: "up" })
  })

  it("serves its OpenAPI document and a docs page", async () => {
    const openapi = await request(url("/openapi.json"))
    expect(openapi.status).toBe(200)
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/accounts/{accountId}/top-ups",
        "/v1/accounts/{accountId}/spends",
        "/v1/accounts/{accountId}/balance",
        "/v1/accounts/{accountId}/entries",
        "/v1/accounts/{accountId}/settings",
        "/v1/audit",
        "/health",
      ]),
    )
    expect(Object.keys(openapi.body.paths["/v1/accounts/{accountId}/top-ups"].post.responses)).toEqual(
      expect.arrayContaining(["200", "400", "409"]),
    )
    const docs = await fetch(url("/docs"))
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain("<html")
  })

  it("answers every request with a request id, and logs it", async () => {
    const reply = await request(url("/health"), { headers: { "X-Request-Id": "trace-abc-123" } })
    expect(reply.headers.get("x-request-id")).toBe("trace-abc-123")
    await service.waitFor('"requestId":"trace-abc-123"')

    const generated = await request(url("/health"))
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  })
})
