import * as Fs from "node:fs"
import { describe, expect, it } from "vitest"
import { collect, runTally, spawnTally } from "../e2e/TallyProcess.ts"

/**
 * What a user sees when `tally` cannot parse the command line: one line on stderr saying what was
 * wrong and which help to read, exit code 2, and under `--json` the error as a script reads every
 * other refusal; and a help whose columns line up, without Effect's interactive wizard.
 */

const tally = (...args: Array<string>) => runTally([...args, "--memory"])

describe("a command line tally cannot parse", () => {
  it.each([
    { args: ["top-up", "zoe", "abc"], cause: 'Invalid value for argument <amount>: "abc"', help: "tally top-up" },
    { args: ["top-up", "zoe"], cause: "Missing required argument: amount", help: "tally top-up" },
    { args: ["top-up", "zoe", "5", "--bogus"], cause: "Unrecognized flag: --bogus", help: "tally top-up" },
    { args: ["capture", "zoe", "x", "--key", "k"], cause: "hold-id", help: "tally capture" },
    { args: ["tpo-up", "zoe", "5"], cause: 'Unknown subcommand "tpo-up"', help: "tally" },
  ])("$args: one line with the cause and `run $help --help` on stderr, exit 2", async ({ args, cause, help }) => {
    const result = await tally(...args)

    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trimEnd().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^tally: /)
    expect(lines[0]).toContain(cause)
    expect(lines[0]).toMatch(new RegExp(`; run ${help} --help$`))
  })

  it("answers { _tag, message } under --json, and nothing else", async () => {
    const result = await tally("top-up", "zoe", "abc", "--json")

    expect(result.code).toBe(2)
    expect(result.stderr).toBe("")
    expect(JSON.parse(result.stdout)).toEqual({
      _tag: "InvalidRequest",
      message: expect.stringMatching(/^Invalid value for argument <amount>: "abc".*; run tally top-up --help$/),
    })
  })
})

describe("a command line that parses but asks for something tally refuses", () => {
  /** One line on stderr, exit 2, nothing on stdout and no stack trace. */
  const refusedInOneLine = (result: { code: number | null; stdout: string; stderr: string }, cause: string) => {
    expect(result.code, result.stderr).toBe(2)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trimEnd().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^tally: /)
    expect(lines[0]).toContain(cause)
  }

  it("an amount out of range: the field and what it must be, on one line", async () => {
    refusedInOneLine(await tally("top-up", "zoe", "0"), "invalid input: amount: Expected a value between 1 and")
  })

  it("a port out of range, on the command line as in PORT", async () => {
    refusedInOneLine(await tally("serve", "--port", "99999"), "Expected a port between 0 and 65535, got 99999")
  })

  it("a DATABASE_URL that is not a PostgreSQL URL, without echoing it", async () => {
    const result = await runTally(["balance", "x"], { DATABASE_URL: "notaurl-secret" })
    refusedInOneLine(result, "invalid configuration: DATABASE_URL: Expected a postgres:// or postgresql:// URL")
    expect(result.stderr).not.toContain("secret")
  })

  it.each([
    [["auto-top-up", "cz", "--disabled"], "--ceiling and --disabled set auto top-up"],
    [["auto-top-up", "cz", "--ceiling", "50"], "--ceiling and --disabled set auto top-up"],
    [["refill", "cz", "--disabled"], "--ceiling and --disabled set a refill"],
  ])("%j: a setting flag without the settings it belongs to", async (args, cause) => {
    refusedInOneLine(await tally(...args), cause)
  })

  it("a database that cannot be reached is LedgerUnavailable to a script, exit 1", async () => {
    const result = await runTally(["balance", "x", "--json"], {
      DATABASE_URL: "postgres://tally:tally@127.0.0.1:1/tally",
      TALLY_DB_RETRY_MS: "0",
    })
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ _tag: "LedgerUnavailable" })
  })
})

describe("tally --help", () => {
  it("lists every subcommand with its description in one aligned column, and no wizard", async () => {
    const result = await runTally(["--help"])

    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain("--wizard")
    const table = result.stdout.slice(result.stdout.indexOf("SUBCOMMANDS\n") + "SUBCOMMANDS\n".length)
    const rows = table.split("\n").filter((line) => line.startsWith("  "))
    expect(rows.map((row) => row.trim().split(/\s+/)[0])).toContain("complete-auto-top-up")
    const descriptionColumns = new Set(rows.map((row) => row.search(/(?<=\S {2,})\S/)))
    expect([...descriptionColumns]).toHaveLength(1)
  })

  it("prints a command's help on request, exit 0", async () => {
    const result = await runTally(["top-up", "--help"])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain("tally top-up [flags] <account> <amount>")
    expect(result.stdout).not.toContain("--wizard")
  })
})

/**
 * Resolves once the process has started and then sat asleep, using no CPU, for half a second (Linux's
 * /proc): a command waiting on its long-poll, past its start-up.
 */
const settled = async (pid: number) => {
  const sample = () => {
    const fields = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return { asleep: fields[0] === "S", ticks: Number(fields[11]) + Number(fields[12]) }
  }
  let quiet = 0
  let last = sample().ticks
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const now = sample()
    quiet = now.asleep && now.ticks === last && now.ticks > 0 ? quiet + 1 : 0
    last = now.ticks
  }
}

describe("a command cut short by a signal", () => {
  it("exits 130 with one line saying a write may have been made, and how to find out", async () => {
    const child = spawnTally(["events", "--wait", "20", "--memory"], {})
    const result = collect(child)
    await settled(child.pid!)
    child.kill("SIGINT")
    const { code, stdout, stderr } = await result

    expect(code).toBe(130)
    expect(stdout).toBe("")
    expect(stderr.trimEnd().split("\n")).toEqual([
      "tally: interrupted: a write it was making may have been made or not; run the same command with the same --key to find out (a write without a key: read the account's entries)",
    ])
  })
})
