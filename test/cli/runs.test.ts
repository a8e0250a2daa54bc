import * as Fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { freshDataDir, request, runTally, startService } from "../e2e/TallyProcess.ts"

/** History by run as a shell user, a script and an HTTP caller meet it, on one embedded data directory. */

const dataDir = freshDataDir("runs")
const env = { TALLY_DATA_DIR: dataDir }
const tally = (...args: Array<string>) => runTally(args, env)

afterAll(() => {
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

describe("history by run", () => {
  it("groups a run's entries in one row over HTTP, whole runs per page", async () => {
    const service = await startService(env)
    try {
      const post = (path: string, body: unknown) => request(`${service.url}/v1/accounts/ola${path}`, { body })
      await post("/top-ups", { amount: 1000 })
      await post("/spends", { amount: 100, reference: "run-1" })
      await post("/spends", { amount: 20, reference: "run-2" })
      await post("/spends", { amount: 30, reference: "run-1" })
      await post("/entries/1/refunds", { amount: 5, reason: "fee back", reference: "run-1" })

      const page = await request(`${service.url}/v1/accounts/ola/runs?details=2&limit=1`)
      expect(page.status).toBe(200)
      expect(page.body).toMatchObject({
        accountId: "ola",
        runs: [
          {
            reference: "run-1",
            total: "-135",
            entries: 3,
            kinds: [
              { kind: "refund", entries: 1, amount: "-5" },
              { kind: "usage", entries: 2, amount: "-130" },
            ],
            lastSequence: 5,
            details: [{ sequence: 5 }, { sequence: 4 }],
            more: true,
          },
        ],
      })
      const next = await request(`${service.url}/v1/accounts/ola/runs?details=2&limit=1&cursor=${page.body.nextCursor}`)
      expect(next.body).toMatchObject({ runs: [{ reference: "run-2", total: "-20", more: false }], nextCursor: null })
      const refused = await request(`${service.url}/v1/accounts/ola/runs?kind=usage&cursor=${page.body.nextCursor}`)
      expect(refused.status).toBe(400)
      expect(refused.body._tag).toBe("InvalidRequest")
      expect((await request(`${service.url}/v1/accounts/ola/runs?details=101`)).status).toBe(400)
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0)
    }
  })

  it("prints runs for people and JSON for scripts", async () => {
    const people = await tally("runs", "ola", "--details", "1")
    expect(people.code, people.stderr).toBe(0)
    expect(people.stdout).toContain("run-1  -135 credits  3 entries (refund 1: -5, usage 2: -130)")
    expect(people.stdout).toContain("  ... 2 more (tally entries ola --reference run-1)")
    expect(people.stdout).toContain("run-2  -20 credits  1 entry (usage 1: -20)")

    const script = await tally("runs", "ola", "--kind", "usage", "--details", "0", "--json")
    expect(script.code, script.stderr).toBe(0)
    expect(JSON.parse(script.stdout)).toMatchObject({
      accountId: "ola",
      runs: [
        { reference: "run-1", total: "-130", entries: 2, details: [], more: true },
        { reference: "run-2", total: "-20", entries: 1 },
      ],
      nextCursor: null,
    })
  })

  it("writes every run as CSV, one line per run, and refuses bad bounds before storage starts", async () => {
    const csv = await tally("runs", "ola", "--csv", "--limit", "1")
    expect(csv.code, csv.stderr).toBe(0)
    const lines = csv.stdout.split("\r\n")
    expect(lines[0]).toBe("reference,firstAt,lastAt,lastSequence,entries,total,kinds")
    expect(lines.slice(1).map((line) => line.replace(/,[^,]*Z,[^,]*Z,/, ",<times>,"))).toEqual([
      'run-1,<times>,5,3,-135,"{""refund"":{""entries"":1,""amount"":""-5""},""usage"":{""entries"":2,""amount"":""-130""}}"',
      'run-2,<times>,3,1,-20,"{""usage"":{""entries"":1,""amount"":""-20""}}"',
      "",
    ])

    const bad = await tally("runs", "ola", "--details", "500")
    expect(bad.code).toBe(2)
  })
})
