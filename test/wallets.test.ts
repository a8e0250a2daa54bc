import * as Fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { freshDataDir, request, runTally, startService } from "./e2e/TallyProcess.ts"

/**
 * Organization wallets as an HTTP caller, a shell user and a script meet them, on one embedded data
 * directory: members on writes, totals per member, limits per member refused with their values.
 */

const dataDir = freshDataDir("wallets")
const env = { TALLY_DATA_DIR: dataDir }
const tally = (...args: Array<string>) => runTally(args, env)
const json = async (...args: Array<string>) => {
  const result = await tally(...args, "--json")
  return { ...result, body: JSON.parse(result.stdout) }
}

afterAll(() => {
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

describe("organization wallets", () => {
  it("over HTTP: members on writes, per-member totals, a wallet's own members only, limits with their values", async () => {
    const service = await startService(env)
    try {
      const at = (account: string, path: string) => `${service.url}/v1/accounts/${account}${path}`
      await request(at("acme", "/top-ups"), { body: { amount: 1000 } })
      await request(at("globex", "/top-ups"), { body: { amount: 1000 } })
      const limits = await request(at("acme", "/member-limits"), {
        method: "PUT",
        body: { default: { credits: 200, period: "day" }, members: { bo: { credits: 300, period: "week" } } },
      })
      expect(limits.status).toBe(200)
      expect(limits.body).toEqual({
        accountId: "acme",
        default: { credits: 200, period: "day" },
        members: { bo: { credits: 300, period: "week" } },
        usage: [],
      })
      const spent = await request(at("acme", "/spends"), { body: { amount: 150, member: "ana" } })
      expect(spent.status).toBe(200)
      expect(spent.body.entry).toMatchObject({ member: "ana", amount: -150 })
      await request(at("globex", "/spends"), { body: { amount: 500, member: "ana" } })

      const refused = await request(at("acme", "/spends"), {
        body: { amount: 51, member: "ana" },
        headers: { "idempotency-key": "ana-2" },
      })
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({
        _tag: "MemberLimitExceeded",
        accountId: "acme",
        member: "ana",
        limit: 200,
        used: 150,
        requested: 51,
      })
      expect(refused.body.message).toContain("ana")
      const replayed = await request(at("acme", "/spends"), {
        body: { amount: 51, member: "ana" },
        headers: { "idempotency-key": "ana-2" },
      })
      expect(replayed.status).toBe(409)
      expect(replayed.headers.get("idempotent-replayed")).toBe("true")

      const held = await request(at("acme", "/holds"), {
        body: { amount: 300, member: "bo" },
        headers: { "idempotency-key": "bo-1" },
      })
      expect(held.status).toBe(200)
      expect(held.body.hold.member).toBe("bo")
      const over = await request(at("acme", "/holds/1/captures"), {
        body: { amount: 301 },
        headers: { "idempotency-key": "bo-1-capture" },
      })
      expect(over.status).toBe(409)
      expect(over.body).toMatchObject({ _tag: "MemberLimitExceeded", member: "bo", used: 300, requested: 1 })
      const captured = await request(at("acme", "/holds/1/captures"), {
        body: { amount: 120 },
        headers: { "idempotency-key": "bo-1-capture-2" },
      })
      expect(captured.body.entry).toMatchObject({ member: "bo", amount: -120 })

      const totals = await request(at("acme", "/totals?groupBy=member"))
      expect(totals.body.totals).toEqual([
        { member: null, kind: "top-up", entries: 1, amount: "1000" },
        { member: "ana", kind: "usage", entries: 1, amount: "-150" },
        { member: "bo", kind: "usage", entries: 1, amount: "-120" },
      ])
      const globex = await request(at("globex", "/totals?member=ana"))
      expect(globex.body.totals).toEqual([{ kind: "usage", entries: 1, amount: "-500" }])
      expect((await request(at("acme", "/entries?member=ana"))).body.entries).toHaveLength(1)
      const csv = await request(`${service.url}/v1/entries/export?accountId=acme&member=bo`)
      const [header, line] = csv.text.split("\r\n")
      expect(header!.endsWith(",metadata,member")).toBe(true)
      expect(line!.endsWith(",bo")).toBe(true)
      expect((await request(at("acme", "/spends"), { body: { amount: 1, member: "a b" } })).status).toBe(400)
      const removed = await request(at("acme", "/member-limits"), { method: "DELETE" })
      expect(removed.body).toEqual({ accountId: "acme", default: null, members: {}, usage: [] })
      expect((await request(at("acme", "/spends"), { body: { amount: 100, member: "ana" } })).status).toBe(200)
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0)
    }
  })

  it("from the CLI: member limits are set and printed", async () => {
    await tally("top-up", "initech", "1000")
    const set = await tally("member-limits", "initech", "--default", "100/day", "--limit", "milton=50/week")
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain("initech: member limits, default 100/day")
    expect(set.stdout).toContain("  milton: 50/week")
  })

  it("from the CLI: a spend names its member; one past its limit is refused with exit 3", async () => {
    const spend = await json("spend", "initech", "40", "--member", "milton")
    expect(spend.code).toBe(0)
    expect(spend.body.entry).toMatchObject({ member: "milton", amount: -40 })
    const refused = await json("spend", "initech", "11", "--member", "milton")
    expect(refused.code).toBe(3)
    expect(refused.body).toMatchObject({ _tag: "MemberLimitExceeded", member: "milton", limit: 50, used: 40 })
  })

  it("from the CLI: a member's usage printed, and totals per member", async () => {
    const printed = await tally("member-limits", "initech")
    expect(printed.stdout).toContain("milton used 40 of 50/week since")
    const totals = await tally("totals", "initech", "--by-member")
    expect(totals.stdout).toContain("milton usage: 1 entries, -40 credits")
    expect(totals.stdout).toContain("(no member) top-up: 1 entries, +1000 credits")
  })

  it("from the CLI: a member's entries; a malformed limit is bad input (exit 2), refused before any database starts", async () => {
    const entries = await tally("entries", "initech", "--member", "milton")
    expect(entries.stdout).toContain("member milton")
    expect((await tally("member-limits", "initech", "--default", "ten/day")).code).toBe(2)
    expect((await tally("member-limits", "initech", "--default", "10/hour")).code).toBe(2)
  })

  it("from the CLI: --remove removes the limits", async () => {
    const removed = await tally("member-limits", "initech", "--remove")
    expect(removed.stdout.trim()).toBe("initech: no member limits")
  })
})
