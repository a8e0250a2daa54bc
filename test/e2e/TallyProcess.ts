import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/**
 * The real `tally` executable in a child process, the way `pnpm start` and `pnpm tally` run it
 * (`node --import tsx packages/app/src/main.ts`, from the repository root, or another copy of the
 * repository), with an environment of the test's choosing: nothing of the caller's TALLY_* /
 * DATABASE_URL / PORT / VITEST* leaks in.
 */

export const repoRoot = Path.resolve(import.meta.dirname, "../..")
const main = "packages/app/src/main.ts"

export interface Where {
  /** The repository to run from; this one by default. */
  readonly cwd?: string
}

/** How long a service may take to come up: the first start of a data directory runs initdb. */
const startTimeoutMs = 90_000

/** A new, empty data directory, private to its owner (0700) as `mktemp -d` makes it. */
export const freshDataDir = (label: string) => Fs.mkdtempSync(Path.join(Os.tmpdir(), `tally-${label}-`))

export const baseEnv = (env: Record<string, string>) => {
  const clean: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name === "DATABASE_URL" || name === "PORT" || name.startsWith("TALLY_")) continue
    // A vitest run started from a test must not take itself for this run's worker.
    if (name.startsWith("VITEST")) continue
    clean[name] = value
  }
  return { ...clean, ...env }
}

export const spawnTally = (args: ReadonlyArray<string>, env: Record<string, string>, where: Where = {}) =>
  spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: where.cwd ?? repoRoot,
    env: baseEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  })

export interface CommandResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs one `tally` command to completion. */
export const runTally = (args: ReadonlyArray<string>, env: Record<string, string> = {}, where: Where = {}) =>
  collect(spawnTally(args, env, where))

/** Runs a command line through a shell (for `pnpm tally ...`). */
export const runShell = (command: string, env: Record<string, string> = {}, where: Where = {}) =>
  collect(
    spawn(command, { cwd: where.cwd ?? repoRoot, env: baseEnv(env), shell: true, stdio: ["ignore", "pipe", "pipe"] }),
  )

export const collect = (child: ChildProcess) =>
  new Promise<CommandResult>((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr?.on("data", (chunk) => {
      stderr += chunk
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })

export interface Service {
  readonly url: string
  readonly child: ChildProcess
  /** Everything the process printed so far. */
  readonly output: () => string
  /** Resolves when the output contains `text` (or rejects when the process exits first). */
  readonly waitFor: (text: string) => Promise<void>
  /** Sends the signal and resolves with the exit code (null when killed by the signal). */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts `tally serve` on a free port and resolves once it prints its URL. */
export const startService = (
  env: Record<string, string>,
  args: ReadonlyArray<string> = [],
  where: Where = {},
): Promise<Service> => serviceOf(spawnTally(["serve", "--port", "0", ...args], env, where))

/** Follows a process that runs the service (however it was launched) until it prints its URL. */
export const serviceOf = (child: ChildProcess): Promise<Service> => {
  let output = ""
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))

  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes(text)) {
          listeners.delete(check)
          resolve()
        }
      }
      listeners.add(check)
      check()
      void exited.then((code) => reject(new Error(`tally exited (${code}) before printing ${text}:\n${output}`)))
    })

  const stop = (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }

  return new Promise<Service>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop("SIGKILL")
      reject(new Error(`tally did not start within ${startTimeoutMs} ms:\n${output}`))
    }, startTimeoutMs)
    waitFor("Tally is listening on ").then(
      () =>
        waitFor("\n").then(() => {
          clearTimeout(timer)
          const url = /Tally is listening on (http:\/\/\S+)/.exec(output)![1]!
          resolve({ url, child, output: () => output, waitFor, stop })
        }),
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the service sent
  readonly body: any
}

/** One HTTP request; the body is parsed as JSON when it is JSON. */
export const request = async (
  url: string,
  init: { method?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Reply> => {
  const hasBody = init.body !== undefined || init.raw !== undefined
  const response = await fetch(url, {
    method: init.method ?? (hasBody ? "POST" : "GET"),
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...init.headers },
    ...(hasBody ? { body: init.raw ?? JSON.stringify(init.body) } : {}),
  })
  const text = await response.text()
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, text, body }
}

/** A fresh account id per test, so tests on one service never share state. */
export const accountId = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`
