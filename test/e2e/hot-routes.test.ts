import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accountId, type Service, startService } from "./TallyProcess.ts"

/**
 * The hot routes (top-ups, spends and balance reads, served straight from node:http) answer exactly
 * as `TallyApi`'s HttpApi app does. The app's router decodes a percent-encoded account id, and the
 * hot routes leave such a path to the app, so `/v1/accounts/%74win-.../top-ups` is the same request
 * answered by the app. Each case is sent both ways, to twin accounts with the same history, and the
 * answers are compared whole: status, every header but Date, and the body's bytes (with the twin's
 * id and the entries' times put back).
 */

let service: Service

beforeAll(async () => {
  service = await startService({}, ["--memory"])
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
})

type Route = "top-ups" | "spends" | "balance"

interface Sent {
  readonly route: Route
  /** A JSON value, or the raw bytes of the body. */
  readonly body?: unknown
  readonly raw?: string | Uint8Array
  readonly headers?: Record<string, string>
}

interface Answer {
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: string
}

/** The same account id with its first character percent-encoded: the router decodes it, the hot routes do not take it. */
const viaApp = (account: string) => `%${account.charCodeAt(0).toString(16)}${account.slice(1)}`

const send = async (pathAccount: string, { route, body, raw, headers }: Sent): Promise<Answer> => {
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body))
  const response = await fetch(`${service.url}/v1/accounts/${pathAccount}/${route}`, {
    method: route === "balance" ? "GET" : "POST",
    headers: {
      "x-request-id": "twin-request",
      ...(payload === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(payload === undefined ? {} : { body: payload }),
  })
  return {
    status: response.status,
    headers: [...response.headers]
      .filter(([name]) => name !== "date")
      .map(([name, value]) => [name, name === "x-request-id" && generatedId.test(value) ? "<generated>" : value]),
    body: await response.text(),
  }
}

const times = /"createdAt":"[^"]*"/g
const generatedId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Sends the cases in order to a fresh pair of twins, and the answers of the hot routes and of the app. */
const twins = async (cases: ReadonlyArray<Sent>) => {
  const [hot, app] = [accountId("twin"), accountId("twin")]
  const answers: Array<{ readonly sent: Sent; readonly hot: Answer; readonly app: Answer }> = []
  for (const sent of cases) {
    const hotAnswer = await send(hot, sent)
    const appAnswer = await send(viaApp(app), sent)
    const normalise = (answer: Answer, id: string): Answer => ({
      ...answer,
      body: answer.body.replaceAll(id, "<account>").replace(times, '"createdAt":"<time>"'),
    })
    answers.push({ sent, hot: normalise(hotAnswer, hot), app: normalise(appAnswer, app) })
  }
  return answers
}

const expectSameAnswers = async (cases: ReadonlyArray<Sent>) => {
  for (const { sent, hot, app } of await twins(cases)) {
    expect(hot, JSON.stringify(sent)).toEqual(app)
  }
}

const deep = (levels: number): unknown => (levels === 0 ? 1 : { next: deep(levels - 1) })

describe("the hot routes answer as the HttpApi app", () => {
  it("an account never written answers 404 AccountNotFound on both, and an amount past 2^53-1 the range", async () => {
    const [balance, huge] = await twins([{ route: "balance" }, { route: "top-ups", body: { amount: 2 ** 60 } }])
    for (const answer of [balance!.hot, balance!.app]) {
      expect(answer.status).toBe(404)
      expect(JSON.parse(answer.body)).toMatchObject({ _tag: "AccountNotFound", accountId: "<account>" })
    }
    for (const answer of [huge!.hot, huge!.app]) {
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body).message).toContain("Expected a value between 1 and 9007199254740991")
    }
    expect(balance!.hot).toEqual(balance!.app)
    expect(huge!.hot).toEqual(huge!.app)
  })

  it("every bad body of a top-up, with the app's status, headers and message", async () => {
    const bodies: ReadonlyArray<Sent> = [
      { route: "top-ups", body: { amount: "100" } },
      { route: "top-ups", body: { amount: true } },
      { route: "top-ups", body: { ceiling: 100 } },
      { route: "top-ups", body: { amount: 0 } },
      { route: "top-ups", body: { amount: -5 } },
      { route: "top-ups", body: { amount: 1.5 } },
      { route: "top-ups", raw: '{"amount": 9007199254740993}' },
      { route: "top-ups", raw: '{"amount": 1e400}' },
      { route: "top-ups", body: { amount: 5, ceiling: -1 } },
      { route: "top-ups", body: { amount: 5, ceiling: null } },
      { route: "top-ups", body: { amount: 5, kind: "usage" } },
      { route: "top-ups", body: { amount: 5, ceilng: 10 } },
      { route: "top-ups", body: { amount: -1, ceilng: 10, kind: 3 } },
      { route: "top-ups", body: { amount: 5, metadata: [1, 2] } },
      { route: "top-ups", body: { amount: 5, metadata: { note: "x".repeat(5000) } } },
      { route: "top-ups", body: { amount: 5, metadata: { nul: "a\u0000b" } } },
      { route: "top-ups", body: { amount: 5, metadata: deep(40) } },
      {
        route: "top-ups",
        body: { amount: 5, metadata: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])) },
      },
      { route: "top-ups", raw: '{"amount": ' },
      { route: "top-ups", raw: "[1]" },
      { route: "top-ups", raw: "null" },
      { route: "top-ups", raw: '"amount"' },
      { route: "top-ups", raw: "" },
      { route: "top-ups", raw: "\uFEFF" },
    ]
    await expectSameAnswers(bodies)
  })

  it("every bad body of a spend, and bad headers", async () => {
    await expectSameAnswers([
      { route: "spends", body: { amount: 5, mode: "most" } },
      { route: "spends", body: { amount: 5, ceiling: 10 } },
      { route: "spends", body: { amount: 5, kind: "grant" } },
      { route: "spends", body: {} },
      { route: "spends", body: { amount: 5 }, headers: { "idempotency-key": "x".repeat(256) } },
      { route: "spends", body: { amount: 5 }, headers: { "idempotency-key": "" } },
      { route: "spends", body: { amount: 5 }, headers: { "x-request-id": "not ok!" } },
    ])
  })

  it("bodies Node and Effect read alike: a byte-order mark, bytes that are not UTF-8 (refused), keys in any order", async () => {
    await expectSameAnswers([
      { route: "top-ups", raw: '\uFEFF{"amount": 7}' },
      {
        route: "top-ups",
        raw: new Uint8Array([...Buffer.from('{"amount": 3, "metadata": {"x": "'), 0xff, 0xfe, ...Buffer.from('"}}')]),
      },
      { route: "top-ups", raw: '{"metadata": {"b": [1, {"c": null}], "a": "é"}, "kind": "grant", "amount": 4}' },
      { route: "balance" },
    ])
  })

  it("every outcome of writes and replays, and the balance after them", async () => {
    await expectSameAnswers([
      { route: "balance" },
      { route: "top-ups", body: { amount: 2 ** 53 } },
      { route: "top-ups", body: { amount: 500 } },
      { route: "top-ups", body: { amount: 800, ceiling: 1000 } },
      { route: "top-ups", body: { amount: 5, ceiling: 1000 } },
      { route: "spends", body: { amount: 2000 } },
      { route: "spends", body: { amount: 300, mode: "available" } },
      { route: "spends", body: { amount: 2000, mode: "available" } },
      { route: "top-ups", body: { amount: 100, metadata: { order: 1 } }, headers: { "idempotency-key": "order-1" } },
      { route: "top-ups", body: { amount: 100, metadata: { order: 1 } }, headers: { "idempotency-key": "order-1" } },
      { route: "top-ups", body: { amount: 101 }, headers: { "idempotency-key": "order-1" } },
      { route: "spends", body: { amount: 1000 }, headers: { "idempotency-key": "spend-1" } },
      { route: "spends", body: { amount: 1000 }, headers: { "idempotency-key": "spend-1" } },
      { route: "top-ups", body: { amount: Number.MAX_SAFE_INTEGER } },
      { route: "top-ups", body: { amount: Number.MAX_SAFE_INTEGER } },
      { route: "balance" },
    ])
  })
})
