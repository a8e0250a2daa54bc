import * as Fs from "node:fs"
import { afterAll, describe, expect, inject, it } from "vitest"
import { freshDataDir, request, runShell, runTally, startService } from "../e2e/TallyProcess.ts"
import { createDatabase, withDatabase } from "../support/TestDatabase.ts"

/**
 * The `tally` executable as a shell user and a script meet it: real processes on a fresh embedded
 * data directory, their output and their exit codes (0 success, 1 failure, 2 bad input, 3 rule
 * rejection, 4 audit violations).
 */

const dataDir = freshDataDir("cli")
const env = { TALLY_DATA_DIR: dataDir }
const tally = (...args: Array<string>) => runTally(args, env)
const json = async (...args: Array<string>) => {
  const result = await tally(...args, "--json")
  return { ...result, body: JSON.parse(result.stdout) }
}

afterAll(() => {
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

describe("tally on the embedded PostgreSQL", () => {
  it("tops up, prints the decision and the balance, and keeps them for the next command", async () => {
    const topUp = await tally("top-up", "alice", "1000")
    expect(topUp.code).toBe(0)
    expect(topUp.stdout).toContain("Applied: +1000 credits on alice, balance 1000 (entry 1)")

    const balance = await tally("balance", "alice")
    expect(balance.code).toBe(0)
    expect(balance.stdout.trim()).toBe("alice: 1000 credits")
  })

  it("exits 3 on a rule rejection, saying You already have enough balance, and changes nothing", async () => {
    const rejected = await tally("top-up", "alice", "200", "--ceiling", "800")

    expect(rejected.code).toBe(3)
    expect(rejected.stderr).toContain("You already have enough balance")
    expect((await json("balance", "alice")).body).toEqual({
      accountId: "alice",
      balance: 1000,
      held: 0,
      available: 1000,
      expiresNext: null,
    })
  })

  it("prints JSON for scripts: the clamped entry, and a rejection as { _tag, message, ...values }", async () => {
    await tally("top-up", "bob", "500")
    const clamped = await json("top-up", "bob", "800", "--ceiling", "1000")
    expect(clamped.code).toBe(0)
    expect(clamped.body).toMatchObject({
      balance: 1000,
      replayed: false,
      entry: { decision: "Clamped", requested: 800, amount: 500, balanceAfter: 1000, sequence: 2 },
    })

    const refused = await json("spend", "bob", "5000")
    expect(refused.code).toBe(3)
    expect(refused.body).toMatchObject({ _tag: "InsufficientCredits", balance: 1000, amount: 5000, floor: 0 })
    expect(refused.body.message).toContain("Insufficient credits")
  })

  it("applies a keyed write once and reports the retry as a replay", async () => {
    const first = await json("spend", "bob", "100", "--key", "job-7")
    const retry = await tally("spend", "bob", "100", "--key", "job-7")
    const conflict = await tally("spend", "bob", "101", "--key", "job-7")

    expect(first.body.entry.balanceAfter).toBe(900)
    expect(retry.code).toBe(0)
    expect(retry.stdout).toContain("replay of idempotency key job-7: nothing changed")
    expect(conflict.code).toBe(3)
    expect(conflict.stderr).toContain("IdempotencyConflict")
  })

  it("exits 2 on bad input, before any database starts, and writes nothing", async () => {
    const cases = [
      ["top-up", "carol", "0"],
      ["top-up", "carol", "1.5"],
      ["top-up", "carol", "99999999999999999999"],
      ["top-up", "bad id", "5"],
      ["top-up", "carol", "5", "--metadata", "not json"],
      ["spend", "carol", "5", "--mode", "most"],
      ["transfer", "carol", "5"],
      // --remove with a negative amount would add; two schedules of a refill would keep one silently.
      ["adjust", "carol", "-5", "--remove", "--reason", "r", "--actor", "a"],
      ["refill", "carol", "--amount", "5", "--monthly", "1", "--daily"],
      ["refill", "carol", "--amount", "5", "--weekly", "3", "--monthly", "15"],
    ]
    const results = await Promise.all(cases.map((args) => tally(...args)))

    results.forEach((result, index) => {
      expect(result.code, `tally ${cases[index]!.join(" ")}\n${result.stdout}${result.stderr}`).toBe(2)
    })
    // Nothing reached the ledger: the audit below counts alice's and bob's entries only.
  })

  it("lists entries newest first, pages them, and audits the ledger clean", async () => {
    const page = await json("entries", "bob", "--limit", "2")
    expect(page.body.entries.map((entry: { sequence: number }) => entry.sequence)).toEqual([3, 2])
    expect(page.body.nextCursor).toEqual(expect.any(String))
    const rest = await tally("entries", "bob", "--cursor", page.body.nextCursor)
    expect(rest.stdout).toContain("#1 ")
    expect(rest.stdout).not.toContain("#2 ")
    const elsewhere = await tally("entries", "alice", "--cursor", page.body.nextCursor)
    expect(elsewhere.code).toBe(2)
    expect(elsewhere.stderr).toContain("cursor was issued for another account or other filters")

    const audit = await tally("audit")
    expect(audit.code).toBe(0)
    expect(audit.stdout).toContain("audited 2 accounts and 4 entries: no violations")
  })

  it("says a refusal replayed under its key is a replay, with the first answer's values", async () => {
    const refused = await tally("spend", "fay", "5000", "--key", "job-8")
    await tally("top-up", "fay", "10000")
    const again = await tally("spend", "fay", "5000", "--key", "job-8")
    const againJson = await json("spend", "fay", "5000", "--key", "job-8")
    expect([refused.code, again.code, againJson.code]).toEqual([3, 3, 3])
    expect(refused.stderr).not.toContain("replay")
    expect(again.stderr).toContain("(replay of the refusal recorded for this idempotency key")
    expect(againJson.body).toMatchObject({ _tag: "InsufficientCredits", balance: 0, replayed: true })
    expect((await json("balance", "fay")).body.balance).toBe(10_000)
  })

  it("changes an account's overdraft limit and refuses one below its debt", async () => {
    expect((await json("settings", "dave", "--overdraft-limit", "100")).body).toEqual({
      accountId: "dave",
      overdraftLimit: 100,
    })
    expect((await tally("spend", "dave", "60")).stdout).toContain("balance -60")
    const below = await tally("settings", "dave", "--overdraft-limit", "10")
    expect(below.code).toBe(3)
    expect(below.stderr).toContain("OverdraftLimitBelowDebt")
  })

  it("reports the schema up to date once migrated", async () => {
    const migrate = await json("migrate")
    expect(migrate.code).toBe(0)
    expect(migrate.body).toMatchObject({ storage: "embedded-postgres", migrationsApplied: [] })
  })

  it("shares the database of a service running on the same directory, leaving the service up", async () => {
    const service = await startService(env)
    try {
      const topUp = await tally("top-up", "erin", "42")
      expect(topUp.code).toBe(0)

      const seen = await request(`${service.url}/v1/accounts/erin/balance`)
      expect(seen.body).toEqual({ accountId: "erin", balance: 42, held: 0, available: 42, expiresNext: null })
      expect((await request(`${service.url}/health`)).body.database).toBe("up")
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0)
    }
  })
})

describe("holds, corrections and history from the command line", () => {
  it("holds a run's credits, captures part keeping the hold open, releases the rest", async () => {
    await tally("top-up", "hank", "1000")
    const hold = await tally("hold", "hank", "500", "--key", "run-1", "--reference", "run-1", "--expires-in", "600")
    expect(hold.code, hold.stderr).toBe(0)
    expect(hold.stdout).toContain("hold 1 on hank: open, 500 reserved, 0 captured")
    expect(hold.stdout).toContain("balance 1000, held 500, available 500")
    const captured = await json("capture", "hank", "1", "200", "--keep-open", "--key", "run-1-a")
    expect(captured.body).toMatchObject({ hold: { status: "open", captured: 200 }, balance: 800, held: 300 })
    const released = await tally("release", "hank", "1", "--key", "run-1-end")
    expect(released.stdout).toContain("hold 1 on hank: released")
    expect((await tally("balance", "hank")).stdout.trim()).toBe("hank: 800 credits")
    expect((await tally("release", "hank", "1", "--key", "run-1-again")).code).toBe(3)
    expect((await tally("hold", "hank", "5")).code).toBe(2)
    const totals = await tally("totals", "hank", "--reference", "run-1")
    expect(totals.stdout.trim()).toBe("usage: 1 entries, -200 credits")
  })

  it("refunds an entry and adjusts with a reason and an actor", async () => {
    await tally("top-up", "ivy", "300")
    const refund = await json("refund", "ivy", "1", "100", "--reason", "unused credits")
    expect(refund.body.entry).toMatchObject({ kind: "refund", amount: -100, refundOf: 1, reason: "unused credits" })
    expect((await tally("refund", "ivy", "1", "201")).code).toBe(3)
    const removed = await tally(
      "adjust",
      "ivy",
      "250",
      "--remove",
      "--reason",
      "chargeback",
      "--actor",
      "ops",
      "--force",
    )
    expect(removed.stdout).toContain("balance -50")
    expect((await tally("adjust", "ivy", "5", "--reason", "missing actor")).code).toBe(2)
    const entries = await tally("entries", "ivy", "--kind", "adjustment")
    expect(entries.stdout).toContain('overdrawn  reason "chargeback"  by ops')
  })

  it("exports entries as CSV to stdout", async () => {
    const csv = await tally("export", "--account", "ivy")
    expect(csv.code).toBe(0)
    const lines = csv.stdout.split("\r\n").filter((line) => line !== "")
    expect(lines[0]).toMatch(/^accountId,sequence,createdAt,kind,/)
    expect(lines.slice(1).map((line) => line.split(",")[3])).toEqual(["top-up", "refund", "adjustment"])
  })
})

describe("tally on an existing PostgreSQL", () => {
  it("uses DATABASE_URL instead of the embedded server", async () => {
    const databaseUrl = await createDatabase()
    const onServer = { DATABASE_URL: databaseUrl, TALLY_DATA_DIR: freshDataDir("unused") }

    const topUp = await runTally(["top-up", "gina", "25", "--json"], onServer)
    const migrate = await runTally(["migrate", "--json"], onServer)

    expect(topUp.code).toBe(0)
    expect(JSON.parse(topUp.stdout).balance).toBe(25)
    expect(JSON.parse(migrate.stdout)).toEqual({ storage: "postgres", location: "DATABASE_URL", migrationsApplied: [] })
    expect(Fs.readdirSync(onServer.TALLY_DATA_DIR)).toEqual([])
    Fs.rmSync(onServer.TALLY_DATA_DIR, { recursive: true })
  })
})

describe("tally without a database", () => {
  it("runs through pnpm tally from the repository root", async () => {
    const result = await runShell("pnpm --silent tally spend frank 5 --memory --json")

    expect(result.code).toBe(3)
    expect(JSON.parse(result.stdout)).toMatchObject({ _tag: "InsufficientCredits" })
  })

  it("exits 2 naming the variable on bad configuration, and 1 naming the cause when the database does not answer", async () => {
    const [storage, pool, unreachable, missing] = await Promise.all([
      runTally(["balance", "frank"], { TALLY_STORAGE: "disk" }),
      runTally(["balance", "frank"], { TALLY_DB_POOL_SIZE: "0" }),
      runTally(["balance", "frank"], { DATABASE_URL: "postgres://tally@127.0.0.1:1/tally" }),
      runTally(["balance", "frank", "--json"], { DATABASE_URL: withDatabase(inject("postgresUrl"), "no_such_db") }),
    ])

    expect(storage.code).toBe(2)
    expect(storage.stderr).toContain("TALLY_STORAGE: ")
    expect(pool.code).toBe(2)
    expect(pool.stderr).toContain("TALLY_DB_POOL_SIZE: ")
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain("storage unavailable: PgConnection: Failed to connect: connect ECONNREFUSED")
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toEqual({
      _tag: "LedgerUnavailable",
      message: 'PgConnection: Failed to connect: database "no_such_db" does not exist',
    })
  })
})
