import { AccountEvents, accountId, balance, threshold } from "@tally/domain"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { runTally } from "../e2e/TallyProcess.ts"
import { appendVisible } from "../support/EventAppenders.ts"
import { createDatabase, pool } from "../support/TestDatabase.ts"

/** `tally events` and `tally webhooks` as a shell user and a script meet them, on one PostgreSQL. */

let env: Record<string, string>
let databaseUrl: string
beforeAll(async () => {
  databaseUrl = await createDatabase("read committed")
  env = { DATABASE_URL: databaseUrl }
})

const tally = (...args: Array<string>) => runTally(args, env)
const json = async (...args: Array<string>) => {
  const result = await tally(...args, "--json")
  return { ...result, body: JSON.parse(result.stdout) }
}

const appendEvents = (count: number) =>
  Effect.runPromise(
    appendVisible(
      Array.from({ length: count }, (_, n) => ({
        event: AccountEvents.balanceLow(accountId(`cli-${n}`), new Date().toISOString(), {
          threshold: threshold(100),
          availableBefore: balance(100),
          availableAfter: balance(50),
          entrySequence: 2,
          holdId: null,
        }),
        operationId: crypto.randomUUID(),
      })),
    ).pipe(Effect.provide(pool(databaseUrl, 1))),
  )

describe("tally events", () => {
  it("prints the feed oldest first and where to read on, and JSON for scripts", async () => {
    const [first, second] = await appendEvents(2)
    const page = await tally("events")
    expect(page.code).toBe(0)
    expect(page.stdout).toContain(`#${first!.id}`)
    expect(page.stdout).toContain("balance.low  cli-0  available 50 fell below 100")
    expect(page.stdout).toContain(`next: --after ${second!.id}`)

    const after = await json("events", "--after", String(first!.id))
    expect(after.code).toBe(0)
    expect(after.body).toEqual({ events: [JSON.parse(JSON.stringify(second))], next: second!.id })
  })

  it("exits 2 on an after that names no event, and on a wait past the longest", async () => {
    expect((await tally("events", "--after", "99999999")).code).toBe(2)
    expect((await tally("events", "--wait", "3600")).code).toBe(2)
  })
})

describe("tally webhooks", () => {
  it("creates, lists, shows deliveries of and deletes an endpoint", async () => {
    const created = await json("webhooks", "create", "http://127.0.0.1:9/hook")
    expect(created.code).toBe(0)
    expect(created.body).toMatchObject({ url: "http://127.0.0.1:9/hook", secret: expect.stringMatching(/^whsec_/) })
    const { id } = created.body

    const listed = await json("webhooks", "list")
    expect(listed.body.endpoints).toEqual([{ id, url: "http://127.0.0.1:9/hook", createdAt: created.body.createdAt }])
    expect((await tally("webhooks", "list")).stdout).toContain(`${id}  http://127.0.0.1:9/hook`)

    const deliveries = await tally("webhooks", "deliveries", id)
    expect(deliveries.code).toBe(0)
    expect(deliveries.stdout.trim()).toBe("no deliveries yet")

    expect((await tally("webhooks", "delete", id)).stdout.trim()).toBe(`deleted ${id}`)
    const again = await json("webhooks", "delete", id)
    expect(again.code).toBe(3)
    expect(again.body).toMatchObject({ _tag: "WebhookEndpointNotFound", endpointId: id })
  })

  it("exits 2 on a URL that is not http(s) and on a secret too short", async () => {
    expect((await tally("webhooks", "create", "ftp://example.com/x")).code).toBe(2)
    expect((await tally("webhooks", "create", "https://example.com/x", "--secret", "short")).code).toBe(2)
  })
})
