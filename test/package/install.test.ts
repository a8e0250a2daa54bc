import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase } from "../support/TestDatabase.ts"

/**
 * Tally as a dependency, the way a user gets it: the packages packed as they would be published
 * (`pnpm pack`), installed with npm into an app outside the workspace, and used there in plain Node,
 * under `tsc --strict` and under the app's own vitest. The code the app runs is the README's section
 * "Use Tally in your app", taken from the README itself, so its examples run as written.
 */

const repoRoot = Path.resolve(import.meta.dirname, "../..")
const packages = ["domain", "adapters", "app"] as const
/** Installing from the registry (into npm's cache on a fresh machine) and building take this long at most. */
const setupTimeoutMs = 600_000
const commandTimeoutMs = 180_000

const run = promisify(execFile)

/** What a shell in a fresh terminal has: nothing of pnpm's, vitest's or this repository's tools leaks in. */
const userEnv = (extra: Record<string, string> = {}) => ({
  PATH: (process.env.PATH ?? "")
    .split(Path.delimiter)
    .filter((dir) => !dir.includes("node_modules"))
    .join(Path.delimiter),
  HOME: process.env.HOME ?? Os.homedir(),
  ...extra,
})

const inApp = (app: string, command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run(command, args, { cwd: app, env: userEnv(env), timeout: commandTimeoutMs, maxBuffer: 16 * 1024 * 1024 })

/** The fenced code blocks of the README section "Use Tally in your app" whose first line names a file. */
const readmeFiles = async () => {
  const readme = await Fs.readFile(Path.join(repoRoot, "README.md"), "utf8")
  const section = /\n## Use Tally in your app\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ""
  const files = new Map<string, string>()
  for (const [, body] of section.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)) {
    const name = /^\/\/ ([\w.-]+\.(?:mjs|ts))[:\s]/.exec(body!)?.[1]
    if (name !== undefined) files.set(name, body!)
  }
  return files
}

const kibibytes = async (dir: string) => Number((await run("du", ["-sk", dir])).stdout.split("\t")[0])

const versionOf = async (name: string) => {
  const root = JSON.parse(await Fs.readFile(Path.join(repoRoot, "package.json"), "utf8"))
  return `${name}@${root.devDependencies[name]}`
}

/** Resolves with the child's exit code once `text` shows in its output and `whenReady` is done. */
const serve = (child: ChildProcess, ready: RegExp, whenReady: (match: RegExpExecArray) => Promise<void>) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    let output = ""
    let started = false
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = ready.exec(output)
      if (match === null || started) return
      started = true
      whenReady(match).then(
        () => child.kill("SIGTERM"),
        (error) => {
          child.kill("SIGKILL")
          reject(error)
        },
      )
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("error", reject)
    child.once("exit", (code) => resolve({ code, output }))
  })

describe("the packed packages, installed with npm into an app outside the workspace", () => {
  let app: string
  let examples: Map<string, string>

  beforeAll(async () => {
    app = await Fs.mkdtemp(Path.join(Os.tmpdir(), "tally-user-app-"))
    const tarballs = Path.join(app, "tarballs")
    for (const name of packages) {
      // `pnpm pack` builds the package first (its prepack script) and applies its publishConfig.
      await run("pnpm", ["pack", "--pack-destination", tarballs], {
        cwd: Path.join(repoRoot, "packages", name),
        timeout: commandTimeoutMs,
      })
    }
    const tarball = async (name: string) =>
      Path.join(tarballs, (await Fs.readdir(tarballs)).find((file) => file.startsWith(`tally-${name}-`))!)
    await Fs.writeFile(
      Path.join(app, "package.json"),
      JSON.stringify({ name: "user-app", private: true, type: "module" }),
    )
    const npmInstall = (args: ReadonlyArray<string>) =>
      inApp(app, "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...args])

    // What a library user installs, measured before the service and the test tools join it.
    await npmInstall([await tarball("domain"), await tarball("adapters"), await versionOf("effect")])
    const tallyKiB = await kibibytes(Path.join(app, "node_modules/@tally"))
    const libraryKiB = await kibibytes(Path.join(app, "node_modules"))
    await npmInstall([await tarball("app")])
    const withServiceKiB = await kibibytes(Path.join(app, "node_modules"))
    await npmInstall([
      "--save-dev",
      await versionOf("vitest"),
      await versionOf("fast-check"),
      await versionOf("typescript"),
    ])
    console.info(
      `install size: @tally/domain + @tally/adapters ${tallyKiB} KiB; with their dependencies ` +
        `${libraryKiB} KiB; with @tally/app ${withServiceKiB} KiB`,
    )

    examples = await readmeFiles()
    for (const [name, body] of examples) await Fs.writeFile(Path.join(app, name), body)
  }, setupTimeoutMs)

  afterAll(async () => {
    if (app !== undefined) await Fs.rm(app, { recursive: true, force: true })
  })

  test("the README section holds the app, a property test, an adapter and its contract test", () => {
    expect([...examples.keys()].sort()).toEqual([
      "KeyValueLedgerStore.test.ts",
      "KeyValueLedgerStore.ts",
      "app.mjs",
      "bonus.test.ts",
      "bonus.ts",
    ])
  })

  test("the README's app runs in plain Node on the in-memory ledger", async () => {
    const { stdout } = await inApp(app, process.execPath, ["app.mjs"])
    expect(stdout).toContain("_tag: 'Clamped'")
    expect(stdout).toContain("{ decision: 'Clamped', balance: 1000, refused: 'InsufficientCredits' }")
  })

  test("the README's app runs in plain Node on PostgreSQL, migrating a new database itself", async () => {
    const databaseUrl = await createDatabase("read committed", false)
    const { stdout } = await inApp(app, process.execPath, ["app.mjs"], { DATABASE_URL: databaseUrl })
    expect(stdout).toContain("{ decision: 'Clamped', balance: 1000, refused: 'InsufficientCredits' }")
  })

  test("the README's TypeScript files type-check with tsc --strict against the installed declarations", async () => {
    const files = [...examples.keys()].filter((name) => name.endsWith(".ts"))
    const tsc = ["--strict", "--noEmit", "--module", "nodenext", "--target", "es2022", "--allowImportingTsExtensions"]
    await expect(inApp(app, "npx", ["tsc", ...tsc, ...files])).resolves.toBeDefined()
  })

  test("the app's vitest runs the README's property test and the exported contract suite on the app's own adapter", async () => {
    const { stdout } = await inApp(app, "npx", ["vitest", "run", "--reporter=verbose"], { NO_COLOR: "1" })
    expect(stdout).toContain("a bonus top-up never lifts a balance past its ceiling")
    expect(stdout).toContain(
      "the ledger on a key-value store > ceilings (the origin's scenarios) > clamps when it would exceed",
    )
    expect(stdout).toMatch(/Test Files {2}2 passed \(2\)/)
  })

  test("a Ledger built on an adapter written for another storage port is refused, naming what changed", async () => {
    // An outside app's adapter as it would be written against an older port, or before adapters declared one.
    await Fs.writeFile(
      Path.join(app, "stale-adapter.mjs"),
      `import { MemoryLedgerStore } from "@tally/adapters"
import { Ledger, LedgerStore } from "@tally/domain"
import { Effect, Layer } from "effect"

const adapter = (declared) =>
  Layer.effect(
    LedgerStore,
    Effect.map(MemoryLedgerStore.make, ({ portVersion: _, ...store }) =>
      LedgerStore.of(declared === undefined ? store : { ...store, portVersion: declared }),
    ),
  )
for (const declared of [8, undefined, 9]) {
  const answer = await Effect.runPromise(
    Ledger.use((ledger) => ledger.balance("alice")).pipe(
      Effect.provide(Ledger.layer.pipe(Layer.provide(adapter(declared)))),
      Effect.map((balance) => "served, balance " + balance),
      Effect.catchTag("StoragePortMismatch", (error) => Effect.succeed(error._tag + ": " + error.message)),
    ),
  )
  console.log(String(declared) + " -> " + answer)
}
`,
    )
    const { stdout } = await inApp(app, process.execPath, ["stale-adapter.mjs"])
    const [older, undeclared, current] = stdout.trim().split("\n")
    expect(older).toBe(
      "8 -> StoragePortMismatch: The storage adapter declares portVersion 8; this Ledger needs storage port 9. " +
        "What changed since: 9: Grant gains warnedAt (when its grant.expiring event was emitted, null before): " +
        "keep it in state.grants and in the grants a transition hands over; new read expiringGrants " +
        "(expiringGrantAccountsOf derives it). Make those changes, then declare portVersion: 9",
    )
    expect(undeclared).toMatch(
      /^undefined -> StoragePortMismatch: The storage adapter declares no portVersion .* 2: transact\(target, step\).* 3: .* 4: .* 5: .* 6: .* 7: .* 8: .* 9: /,
    )
    expect(current).toBe("9 -> served, balance 0")
  })

  test("tally --version reports the installed package's version", async () => {
    const { version } = JSON.parse(await Fs.readFile(Path.join(repoRoot, "packages/app/package.json"), "utf8"))
    const { stdout } = await inApp(app, "npx", ["tally", "--version"])
    expect(stdout.trim()).toBe(`tally v${version}`)
  })

  test("the installed tally bin is the bundle, and runs a command in memory and on DATABASE_URL's PostgreSQL", async () => {
    // One file and its chunks: no import of effect, the driver or Tally's packages left to resolve.
    const main = await Fs.readFile(Path.join(app, "node_modules/@tally/app/dist/main.js"), "utf8")
    expect(main).not.toMatch(/from ?"(effect|@effect\/|@tally\/)/)
    expect(await inApp(app, "npx", ["tally", "balance", "zoe", "--memory"])).toMatchObject({
      stdout: "zoe: 0 credits\n",
    })
    const env = { DATABASE_URL: await createDatabase("read committed", false) }
    const { stdout } = await inApp(app, "npx", ["tally", "top-up", "zoe", "1000", "--ceiling", "800"], env)
    expect(stdout).toContain("Clamped")
    expect(await inApp(app, "npx", ["tally", "balance", "zoe"], env)).toMatchObject({ stdout: "zoe: 800 credits\n" })
  })

  test("the tally command serves from built JavaScript in one plain node process, and stops on SIGTERM", async () => {
    const databaseUrl = await createDatabase("read committed", false)
    const main = Path.join(app, "node_modules/@tally/app/dist/main.js")
    expect(await Fs.realpath(Path.join(app, "node_modules/.bin/tally"))).toBe(await Fs.realpath(main))
    const child = spawn(Path.join(app, "node_modules/.bin/tally"), ["serve", "--port", "0"], {
      cwd: app,
      env: userEnv({ DATABASE_URL: databaseUrl }),
      stdio: ["ignore", "pipe", "pipe"],
    })
    const { code, output } = await serve(child, /Tally is listening on (http:\/\/\S+)/, async ([, url]) => {
      // The pid npm's bin started is the server itself: node running the built file, no loader in between.
      const [command, script] = (await Fs.readFile(`/proc/${child.pid}/cmdline`, "utf8")).split("\0")
      expect(command).toMatch(/node$/)
      expect(await Fs.realpath(script!)).toBe(await Fs.realpath(main))
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok", storage: "postgres", database: "up" })
      const response = await fetch(`${url}/v1/accounts/alice/top-ups`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount: 1000, ceiling: 800 }),
      })
      expect(await response.json()).toMatchObject({ balance: 800, entry: { decision: "Clamped" } })
      // The console comes built in the package: no esbuild, no network.
      const page = await fetch(`${url}/console`)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'")
      const bundle = await fetch(`${url}/console/console.js`)
      expect(bundle.status).toBe(200)
      expect((await bundle.text()).length).toBeGreaterThan(10_000)
    })
    expect(code, output).toBe(0)
  })
})
