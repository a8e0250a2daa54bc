import { beforeAll, describe, expect, it } from "vitest"
import { runTally } from "../e2e/TallyProcess.ts"
import { createDatabase } from "../support/TestDatabase.ts"

/** `tally auto-top-up`, its requests and `tally refill` as a shell user and a script (or a cron) meet them. */

let env: Record<string, string>
beforeAll(async () => {
  env = { DATABASE_URL: await createDatabase("read committed") }
})

const tally = (...args: Array<string>) => runTally(args, env)
const json = async (...args: Array<string>) => {
  const result = await tally(...args, "--json")
  return { ...result, body: JSON.parse(result.stdout) }
}

describe("tally auto-top-up", () => {
  it("sets the origin's settings, and a spend below the threshold opens a request the app completes", async () => {
    const account = `cli-auto-${Date.now().toString(36)}`
    await tally("top-up", account, "50", "--kind", "grant")
    const set = await tally("auto-top-up", account, "--threshold", "100", "--amount", "500")
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain(`${account}: auto top-up on: below 100 available, ask for 500`)
    await tally("spend", account, "10")
    const request = await json("auto-top-up-request", account, "1")
    expect(request.body).toMatchObject({ requestId: 1, status: "open", amount: 500 })
    const completed = await tally("complete-auto-top-up", account, "1", "--payment-reference", "pi_cli")
    expect(completed.code, completed.stderr).toBe(0)
    expect(completed.stdout).toContain("completed, 500 credits")
    expect(completed.stdout).toContain("balance 540")
    const other = await json("complete-auto-top-up", account, "1", "--payment-reference", "pi_other")
    expect(other.code).toBe(3)
    expect(other.body).toMatchObject({ _tag: "AutoTopUpRequestNotOpen", status: "completed" })
  })

  it("refuses inconsistent settings (2) and requests that do not exist (3)", async () => {
    const below = await json("auto-top-up", "bob", "--threshold", "500", "--amount", "100", "--ceiling", "400")
    expect(below.code).toBe(2)
    expect(below.body._tag).toBe("AutoTopUpCeilingBelowThreshold")
    expect((await tally("auto-top-up", "bob", "--threshold", "100")).code).toBe(2)
    const unknown = await json("fail-auto-top-up", "bob", "9", "--reason", "card_declined")
    expect(unknown.code).toBe(3)
    expect(unknown.body._tag).toBe("AutoTopUpRequestNotFound")
  })
})

describe("tally refill", () => {
  it("sets a monthly refill up to a value, and --due grants it once, as a cron would run it", async () => {
    const account = `cli-refill-${Date.now().toString(36)}`
    await tally("top-up", account, "200")
    const set = await tally("refill", account, "--amount", "1000", "--ceiling", "1000", "--monthly", "1")
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain("refill on: 1000 credits monthly on day 1 up to 1000")
    const due = await json("refill", "--due")
    expect(due.code).toBe(0)
    expect(due.body.refilled).toBeGreaterThanOrEqual(1)
    expect((await json("balance", account)).body.balance).toBe(1000)
  })

  it("refuses a refill without a schedule, --due with an account, and neither", async () => {
    expect((await tally("refill", "alice", "--amount", "5")).code).toBe(2)
    expect((await tally("refill", "alice", "--due")).code).toBe(2)
    expect((await tally("refill")).code).toBe(2)
  })
})
