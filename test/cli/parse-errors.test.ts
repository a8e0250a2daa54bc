import { describe, expect, it } from "vitest"
import { runTally } from "../e2e/TallyProcess.ts"

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
