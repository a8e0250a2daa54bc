import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDataDir, repoRoot, runShell, type Service, startService } from "./e2e/TallyProcess.ts"

/**
 * The README's shell examples, run in README order against a fresh service started as `pnpm start`
 * starts it (the same program, on an embedded PostgreSQL in a fresh data directory), each answer
 * compared with what the README shows.
 *
 * The convention (also stated in a comment at the top of README.md):
 * - Every ```sh block runs, unless the line before its fence is `<!-- readme-test: skip (why) -->`.
 * - A command is a line that is not a comment (a line ending in `\` continues on the next one). Its
 *   expected answer is the comment that follows it, starting `# => `; comment lines indented further
 *   (`#    ...`) continue that answer. A command without `# => ` is run, its answer not compared. Other
 *   comments (`# why`) are prose.
 * - An answer is compared with what the command printed (stdout, then stderr), with times, UUIDs,
 *   webhook endpoint ids and secrets masked on both sides. A JSON answer is compared as JSON: `...`
 *   in an object stands for more fields, `"..."` for any value, `[...]` for any array. Any other
 *   answer is compared as text, `...` standing for any text.
 * - `localhost:3000` is the service's address; here it is the test service's, on a free port.
 * - Every example uses accounts of its own and creates the state it needs itself, so examples do not
 *   depend on each other.
 */

const readme = Fs.readFileSync(Path.join(repoRoot, "README.md"), "utf8")

interface Command {
  readonly line: number
  readonly text: string
  /** The answer's lines as the README writes them. */
  readonly expected: ReadonlyArray<string> | undefined
}

interface Block {
  readonly line: number
  readonly commands: ReadonlyArray<Command>
}

/** The ```sh blocks that run, and their commands with their expected answers. */
const runnableBlocks = (text: string): ReadonlyArray<Block> => {
  const lines = text.split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```sh") continue
    const skipped = /^<!-- readme-test: skip/.test(lines[i - 1]?.trim() ?? "")
    const start = i
    const body: Array<{ line: number; text: string }> = []
    for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push({ line: i + 1, text: lines[i]! })
    if (!skipped) blocks.push({ line: start + 1, commands: commandsOf(body) })
  }
  return blocks
}

const commandsOf = (body: ReadonlyArray<{ line: number; text: string }>): ReadonlyArray<Command> => {
  const commands: Array<{ line: number; text: string; expected: Array<string> | undefined }> = []
  let continuing = false
  for (const { line, text } of body) {
    const current = commands.at(-1)
    if (continuing && current !== undefined) {
      current.text += `\n${text}`
      continuing = text.endsWith("\\")
    } else if (text.startsWith("# => ") && current !== undefined) {
      current.expected = [text.slice("# => ".length)]
    } else if (/^#\s{2,}\S/.test(text) && current?.expected !== undefined) {
      current.expected.push(text.replace(/^#\s+/, ""))
    } else if (text.startsWith("#") || text.trim() === "") {
      // prose
    } else {
      commands.push({ line, text, expected: undefined })
      continuing = text.endsWith("\\")
    }
  }
  return commands
}

/** What differs from run to run, masked on both sides. */
const mask = (text: string) =>
  text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/we_[0-9a-f]{32}/g, "we_<id>")
    .replace(/whsec_[A-Za-z0-9_-]+/g, "whsec_<secret>")

const more = "\u0000more"
const any = "\u0000any"

/** The README's JSON with its `...`s as markers, or undefined when it is not JSON. */
const jsonPattern = (expected: string): unknown => {
  const marked = expected
    .replace(/"\.\.\."/g, JSON.stringify(any))
    .replace(/\[\s*\.\.\.\s*\]/g, JSON.stringify(any))
    .replace(/\{\s*\.\.\.\s*\}/g, `{${JSON.stringify(more)}:true}`)
    .replace(/\{\s*\.\.\.\s*,/g, `{${JSON.stringify(more)}:true,`)
    .replace(/,\s*\.\.\.\s*,/g, `,${JSON.stringify(more)}:true,`)
    .replace(/,\s*\.\.\.\s*(?=[}\]])/g, `,${JSON.stringify(more)}:true`)
  try {
    return JSON.parse(marked)
  } catch {
    return undefined
  }
}

/** Where the answer departs from the pattern, or undefined when it matches. */
const mismatch = (actual: unknown, pattern: unknown, path = "$"): string | undefined => {
  if (pattern === any) return undefined
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual) || actual.length !== pattern.length) return `${path}: expected ${pattern.length} items`
    for (const [index, item] of pattern.entries()) {
      const found = mismatch(actual[index], item, `${path}[${index}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof pattern === "object" && pattern !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return `${path}: expected an object`
    const expectedKeys = Object.keys(pattern).filter((key) => key !== more)
    for (const key of expectedKeys) {
      if (!(key in actual)) return `${path}.${key}: missing`
      const found = mismatch(
        (actual as Record<string, unknown>)[key],
        (pattern as Record<string, unknown>)[key],
        `${path}.${key}`,
      )
      if (found !== undefined) return found
    }
    if (!(more in pattern)) {
      const extra = Object.keys(actual).filter((key) => !expectedKeys.includes(key))
      if (extra.length > 0) return `${path}: fields the README does not show (write ... for them): ${extra.join(", ")}`
    }
    return undefined
  }
  const agrees =
    typeof pattern === "string" && typeof actual === "string" && pattern.includes("...")
      ? textPattern(pattern).test(actual)
      : actual === pattern
  return agrees ? undefined : `${path}: ${JSON.stringify(actual)} where the README shows ${JSON.stringify(pattern)}`
}

const textPattern = (expected: string) =>
  new RegExp(
    `^${expected
      .split("...")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("[\\s\\S]*?")}$`,
  )

/**
 * Compares what a command printed with what the README shows (JSON split over lines joins up, text
 * keeps its lines); undefined when they agree.
 */
const compare = (printed: string, expected: ReadonlyArray<string>): string | undefined => {
  const actual = mask(printed.replaceAll("\r\n", "\n").trim())
  const pattern = jsonPattern(mask(expected.join("").trim()))
  const shown = mask(expected.join("\n").trim())
  if (pattern !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(actual)
    } catch {
      return `not JSON: ${actual}`
    }
    return mismatch(parsed, pattern)
  }
  return textPattern(shown).test(actual) ? undefined : `printed ${JSON.stringify(actual)}`
}

describe("the README's conventions", () => {
  it("reads commands, continued lines and expected answers", () => {
    const [block] = runnableBlocks(
      ["```sh", "curl -s a \\", "  -d '{}'", '# => {"a":1,', '#    "b":2}', "# prose", "echo hi", "```"].join("\n"),
    )
    expect(block!.commands).toEqual([
      { line: 2, text: "curl -s a \\\n  -d '{}'", expected: ['{"a":1,', '"b":2}'] },
      { line: 7, text: "echo hi", expected: undefined },
    ])
  })

  it("compares JSON with ... for more fields and any value, and text with ... for any text", () => {
    expect(compare('{"a":1,"b":{"c":2,"d":3}}', ['{"a":1,"b":{"c":2,...}}'])).toBeUndefined()
    expect(compare('{"a":1,"b":{"c":2,"d":3}}', ['{"a":1,"b":{"c":2}}'])).toContain("fields the README does not show")
    expect(compare('{"a":2}', ['{"a":1}'])).toContain("$.a: 2 where the README shows 1")
    expect(
      compare('{"a":[1,2],"t":"2026-01-01T00:00:00.000Z"}', ['{"a":[...],"t":"2025-05-05T10:00:00Z"}']),
    ).toBeUndefined()
    expect(compare('{"id":41}', ['{"id":"..."}'])).toBeUndefined()
    expect(compare('{"a":1,"b":2,"c":3}', ['{"a":1,...,"c":3}'])).toBeUndefined()
    expect(compare('{"m":"enough balance: 1000"}', ['{"m":"enough balance: ..."}'])).toBeUndefined()
    expect(compare("tally: bad; run tally --help", ["tally: ...; run tally --help"])).toBeUndefined()
    expect(compare("tally: bad", ["tally: good"])).toBeDefined()
    expect(compare("a,1\r\nb,2\r\n", ["a,...", "b,2"])).toBeUndefined()
    expect(compare("a,1\nb,2", ["a,1", "b,3"])).toBeDefined()
  })
})

describe("every shell example in the README, in order, against a fresh service", () => {
  let service: Service
  const dataDir = freshDataDir("readme")
  const env = { TALLY_DATA_DIR: dataDir }

  beforeAll(async () => {
    service = await startService(env)
  })

  afterAll(async () => {
    expect(await service?.stop("SIGTERM")).toBe(0)
    Fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const blocks = runnableBlocks(readme)

  it("has examples to run", () => {
    expect(blocks.flatMap((block) => block.commands).length).toBeGreaterThan(20)
  })

  for (const block of blocks) {
    it(`README.md:${block.line} answers as the README shows`, { timeout: 180_000 }, async () => {
      for (const command of block.commands) {
        const shell = command.text.replaceAll("localhost:3000", service.url.replace(/^http:\/\//, ""))
        const result = await runShell(shell, env)
        if (command.expected === undefined) continue
        const printed = `${result.stdout}${result.stderr}`
        expect(compare(printed, command.expected), `README.md:${command.line}: ${command.text}`).toBeUndefined()
      }
    })
  }
})
