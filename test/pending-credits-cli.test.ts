import * as Fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { freshDataDir, runTally } from "./e2e/TallyProcess.ts"

/** Pending credits as a shell user and a script meet them, on one embedded data directory. */

const dataDir = freshDataDir("pending-credits")
const env = { TALLY_DATA_DIR: dataDir }
const tally = (...args: Array<string>) => runTally(args, env)

afterAll(() => {
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

describe("pending credits from the command line", () => {
  it("records a checkout that counts nowhere, and lists it for people", async () => {
    const recorded = await tally(
      "pending-credit",
      "paula",
      "2000",
      "--key",
      "checkout-cs_1",
      "--reference",
      "cs_1",
      "--metadata",
      '{"checkout": "cs_1"}',
      "--json",
    )
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(JSON.parse(recorded.stdout)).toMatchObject({
      pendingCredit: { accountId: "paula", pendingCreditId: 1, status: "pending", amount: 2000, reference: "cs_1" },
      entry: null,
      balance: 0,
      available: 0,
      replayed: false,
    })
    const listed = await tally("pending-credits", "paula", "--status", "pending")
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/^pending credit 1 on paula: pending, 2000 top-up, expires \S+Z$/m)
  })

  it("activates it with the payment's metadata over the checkout's", async () => {
    const activated = await tally("activate-credit", "paula", "1", "--key", "pi_1", "--metadata", '{"payment": "pi_1"}')
    expect(activated.code, activated.stderr).toBe(0)
    expect(activated.stdout).toContain(
      "pending credit 1 on paula: activated, 2000 top-up; Applied 2000 as entry 1; balance 2000, available 2000",
    )
    const entries = await tally("entries", "paula", "--json")
    expect(JSON.parse(entries.stdout).entries).toMatchObject([
      { sequence: 1, kind: "top-up", amount: 2000, reference: "cs_1", metadata: { checkout: "cs_1", payment: "pi_1" } },
    ])
  })

  it("refuses a second activation by its rule, naming the credit's state", async () => {
    const again = await tally("activate-credit", "paula", "1")
    expect(again.code).toBe(3)
    expect(again.stdout + again.stderr).toContain(
      "Pending credit 1 of account paula is no longer pending: it was activated",
    )
  })

  it("voids a declined checkout", async () => {
    const recorded = await tally("pending-credit", "paula", "500", "--key", "checkout-cs_2", "--json")
    expect(JSON.parse(recorded.stdout).pendingCredit.pendingCreditId).toBe(2)
    const voided = await tally("void-credit", "paula", "2", "--json")
    expect(voided.code, voided.stderr).toBe(0)
    expect(JSON.parse(voided.stdout)).toMatchObject({ pendingCredit: { status: "voided" }, balance: 2000 })
  })

  it("refuses a missing credit by its rule, and a recording without its key before anything starts", async () => {
    const missing = await tally("void-credit", "paula", "9")
    expect(missing.code).toBe(3)
    expect(missing.stdout + missing.stderr).toContain("Account paula has no pending credit 9")
    const keyless = await tally("pending-credit", "paula", "500")
    expect(keyless.code).toBe(2)
    expect(keyless.stdout + keyless.stderr).toContain("--key")
  })
})
