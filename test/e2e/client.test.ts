import { amount, BalanceAtCeiling, ceiling, idempotencyKey, TallyApi, accountId as validAccountId } from "@tally/domain"
import { Effect } from "effect"
import { FetchHttpClient } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accountId, type Service, startService } from "./TallyProcess.ts"

/**
 * The API is defined once, in `@tally/domain`: a client derived from `TallyApi` speaks to the real
 * service and gets the domain's own values and errors back.
 */

let service: Service

beforeAll(async () => {
  service = await startService({}, ["--memory"])
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
})

const withClient = <A, E>(use: (client: HttpApiClient.ForApi<typeof TallyApi>) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    HttpApiClient.make(TallyApi, { baseUrl: service.url }).pipe(
      Effect.flatMap(use),
      Effect.provide(FetchHttpClient.layer),
    ),
  )

describe("a typed client derived from TallyApi", () => {
  it("tops up, replays by key, and reads the balance back", async () => {
    const account = validAccountId(accountId("client"))
    const { first, replay, balance } = await withClient((client) =>
      Effect.gen(function* () {
        const request = {
          params: { accountId: account },
          headers: { "idempotency-key": idempotencyKey("c-1") },
          payload: { amount: amount(40) },
        }
        const first = yield* client.ledger.topUp(request)
        const replay = yield* client.ledger.topUp(request)
        const balance = yield* client.ledger.balance({ params: { accountId: account } })
        return { first, replay, balance }
      }),
    )

    expect(first).toMatchObject({ balance: 40, replayed: false, entry: { decision: "Applied", amount: 40 } })
    expect(replay).toMatchObject({ balance: 40, replayed: true })
    expect(balance).toEqual({ accountId: account, balance: 40, held: 0, available: 40, expiresNext: null })
  })

  it("fails with the domain's BalanceAtCeiling, message included", async () => {
    const account = validAccountId(accountId("client-ceiling"))
    const error = await withClient((client) =>
      client.ledger
        .topUp({ params: { accountId: account }, headers: {}, payload: { amount: amount(10), ceiling: ceiling(0) } })
        .pipe(Effect.flip),
    )

    expect(error).toBeInstanceOf(BalanceAtCeiling)
    expect(error).toMatchObject({ balance: 0, ceiling: 0, amount: 10 })
    expect(error.message).toContain("You already have enough balance")
  })
})
