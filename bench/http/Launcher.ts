import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Schema } from "effect"
import * as Esbuild from "esbuild"
import { freePort } from "../FreePort.ts"

/**
 * The servers of the HTTP bench, each a child process of its own, as a user would run it: the bench
 * reaches them only through their port, and reads their CPU and memory in /proc by pid.
 */

export const repositoryRoot = Path.resolve(import.meta.dirname, "../..")

export interface ServerProcess {
  readonly name: string
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  readonly pid: number
}

export class ServerFailed extends Schema.TaggedError<ServerFailed>()("ServerFailed", {
  server: Schema.String,
  reason: Schema.String,
  /** The end of what the server printed. */
  output: Schema.String,
}) {
  override get message() {
    return `${this.server}: ${this.reason}\n${this.output}`
  }
}

export const Limits = {
  /** A server must answer its health check this soon after it was started (PostgreSQL's first migration included). */
  readyTimeoutMs: 60_000,
  readyPollMs: 50,
  /** Past Tally's own shutdown deadline (20 s): a server still running then is killed. */
  stopTimeoutMs: 25_000,
  /** What a failure report quotes of a server's output. */
  outputTailBytes: 8 * 1024,
} as const

const tail = (path: string) => {
  try {
    const text = Fs.readFileSync(path, "utf8")
    return text.slice(-Limits.outputTailBytes)
  } catch {
    return ""
  }
}

/** Variables a developer's shell may carry that would change what is measured. */
const inheritedSettings = /^(TALLY_|DATABASE_URL$|PORT$|NODE_OPTIONS$)/

const environment = (settings: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !inheritedSettings.test(name))),
  ...settings,
})

interface Launch {
  readonly name: string
  /** Arguments of `node`, given the port to listen on. */
  readonly nodeArgs: (port: number) => ReadonlyArray<string>
  readonly env: (port: number) => Record<string, string>
  /** Where the server's stdout and stderr go (its request log, at the default level, for Tally). */
  readonly logDir: string
}

const waitUntilReady = (name: string, url: string, exited: () => boolean, logPath: string) =>
  Effect.tryPromise({
    try: async () => {
      const deadlineMs = performance.now() + Limits.readyTimeoutMs
      while (performance.now() < deadlineMs) {
        if (exited()) throw new Error("exited before it was ready")
        const healthy = await fetch(`${url}/health`).then(
          (response) => response.ok,
          () => false,
        )
        if (healthy && !exited()) return
        await new Promise((resolve) => setTimeout(resolve, Limits.readyPollMs))
      }
      throw new Error(`no healthy answer within ${Limits.readyTimeoutMs} ms`)
    },
    catch: (error) => new ServerFailed({ server: name, reason: String(error), output: tail(logPath) }),
  })

/**
 * Starts `node <args>` in the repository and waits until `GET /health` answers 200; when the scope
 * closes, stops it with SIGTERM (an orderly shutdown, which also writes a `--cpu-prof` profile) and
 * kills it if it outlives the deadline.
 */
export const start = (launch: Launch) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const logPath = Path.join(launch.logDir, `${launch.name}-${port}.log`)
      const log = Fs.openSync(logPath, "a")
      const child = spawn(process.execPath, [...launch.nodeArgs(port)], {
        cwd: repositoryRoot,
        env: environment(launch.env(port)),
        stdio: ["ignore", log, log],
      })
      Fs.closeSync(log)
      const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      const exited = () => child.exitCode !== null || child.signalCode !== null
      const server: ServerProcess = { name: launch.name, url: `http://127.0.0.1:${port}`, pid: child.pid ?? -1 }
      yield* waitUntilReady(launch.name, server.url, exited, logPath).pipe(
        Effect.tapError(() => Effect.sync(() => child.kill("SIGKILL"))),
      )
      return { server, child, exit, exited }
    }),
    ({ child, exit, exited }) =>
      Effect.promise(async () => {
        if (exited()) return
        child.kill("SIGTERM")
        const timer = setTimeout(() => child.kill("SIGKILL"), Limits.stopTimeoutMs)
        await exit
        clearTimeout(timer)
      }),
  ).pipe(Effect.map(({ server }) => server))

/**
 * The Tally service as it is deployed: the app's JavaScript in one node process, what `npx tally
 * serve` runs from the published package. `pnpm build` compiles the same sources file by file;
 * here esbuild puts Tally's three packages in one file and leaves every other package an import.
 * It sits in `packages/app/dist/`, beside the compiled files, so it reads the app's version from
 * `package.json` and resolves the app's dependencies as they do. From the sources under tsx, as
 * `pnpm start` runs it, the same process holds about 90 MB more: tsx's loader and what it compiled.
 */
export const tallyScript = Path.join(repositoryRoot, "packages", "app", "dist", "tally-bench.mjs")

const manifestPackages = (dir: string) => {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(repositoryRoot, "packages", dir, "package.json"), "utf8"))
  return [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((packages) =>
    Object.keys(packages ?? {}),
  )
}

/** Every package the service imports but Tally's own, left as imports. */
const thirdParty = () =>
  [...new Set(["domain", "adapters", "app"].flatMap(manifestPackages))]
    .filter((name) => !name.startsWith("@tally/"))
    .flatMap((name) => [name, `${name}/*`])

const buildTally = Effect.tryPromise({
  try: () =>
    Esbuild.build({
      entryPoints: [Path.join(repositoryRoot, "packages", "app", "src", "main.ts")],
      outfile: tallyScript,
      bundle: true,
      external: thirdParty(),
      platform: "node",
      format: "esm",
      target: `node${process.versions.node}`,
      logLevel: "error",
    }),
  catch: (error) => new ServerFailed({ server: "tally", reason: `build failed: ${error}`, output: "" }),
})

export type TallyStorage = { readonly databaseUrl: string } | "memory"

export const tally = (options: {
  readonly storage: TallyStorage
  readonly logDir: string
  /** Extra flags of node itself, such as `--cpu-prof`. */
  readonly nodeFlags?: ReadonlyArray<string>
}) =>
  Effect.andThen(
    buildTally,
    start({
      name: options.storage === "memory" ? "tally-memory" : "tally",
      logDir: options.logDir,
      nodeArgs: (port) => [
        ...(options.nodeFlags ?? []),
        tallyScript,
        "serve",
        "--port",
        String(port),
        ...(options.storage === "memory" ? ["--memory"] : []),
      ],
      env: () => (options.storage === "memory" ? {} : { DATABASE_URL: options.storage.databaseUrl }),
    }),
  )

/**
 * Where the bench's own servers are built to. Inside the repository, so their packages resolve from
 * its node_modules.
 */
const buildDir = Path.join(repositoryRoot, "node_modules", ".cache", "tally-http-bench")

/**
 * A bench server's source as one JavaScript file, its packages left as imports. The baselines run
 * as plain JavaScript, as the origin's service would, and as Tally's does.
 */
const build = (file: string) =>
  Effect.tryPromise({
    try: async () => {
      const outfile = Path.join(buildDir, file.replace(/\.ts$/, ".mjs"))
      await Esbuild.build({
        entryPoints: [Path.join(repositoryRoot, "bench", "http", file)],
        outfile,
        bundle: true,
        packages: "external",
        platform: "node",
        format: "esm",
        target: `node${process.versions.node}`,
        logLevel: "error",
      })
      return outfile
    },
    catch: (error) => new ServerFailed({ server: file, reason: `build failed: ${error}`, output: "" }),
  })

/** A server program of the bench itself (`bench/http/<file>`), told its port and database through the environment. */
export const benchServer = (options: {
  readonly name: string
  readonly file: string
  readonly logDir: string
  readonly env?: Record<string, string>
}) =>
  Effect.flatMap(build(options.file), (outfile) =>
    start({
      name: options.name,
      logDir: options.logDir,
      nodeArgs: () => [outfile],
      env: (port) => ({ ...options.env, PORT: String(port) }),
    }),
  )
