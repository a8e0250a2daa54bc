import { spawn } from "node:child_process"
import { pbkdf2 } from "node:crypto"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, test } from "vitest"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const dataDir = () => {
  const parent = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-embedded-"))
  cleanups.push(() => Fs.rmSync(parent, { recursive: true, force: true }))
  return Path.join(parent, "postgres")
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** Starts a server, checks it accepts connections, stops it; the start's failure if it fails. */
const startAndStop = async (options: EmbeddedPostgres.Options) => {
  const scope = await Effect.runPromise(Scope.make())
  try {
    const exit = await Effect.runPromiseExit(EmbeddedPostgres.start(options).pipe(Scope.provide(scope)))
    if (Exit.isSuccess(exit)) {
      const accepts = await new Promise<boolean>((resolve) => {
        const socket = Net.connect(exit.value.port, "127.0.0.1", () => {
          socket.end()
          resolve(true)
        })
        socket.once("error", () => resolve(false))
      })
      expect(accepts).toBe(true)
    }
    return exit
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

describe("EmbeddedPostgres", () => {
  test("starts on a port whose socket lock file in /tmp, left by a killed server, names a live process", async () => {
    // What kill -9 leaves in /tmp once the system has given the dead server's pid to another process
    // (not this one: PostgreSQL ignores a lock file naming its own parent).
    const other = spawn("sleep", ["60"], { stdio: "ignore" })
    cleanups.push(() => other.kill("SIGKILL"))
    const port = await freePort()
    const lockFile = `/tmp/.s.PGSQL.${port}.lock`
    const lockText = `${other.pid}\n/tmp\n`
    Fs.writeFileSync(lockFile, lockText)
    cleanups.push(() => Fs.rmSync(lockFile, { force: true }))

    const exit = await startAndStop({ dataDir: dataDir(), throwaway: true, settings: { port: String(port) } })

    expect(Exit.isSuccess(exit) ? "started" : JSON.stringify(exit)).toBe("started")
    expect(Fs.readFileSync(lockFile, "utf8")).toBe(lockText)
  })

  test("a server that cannot start says why, in PostgreSQL's words, and where its log is", async () => {
    const exit = await startAndStop({ dataDir: dataDir(), throwaway: true, settings: { shared_buffers: "a lot" } })

    expect(Exit.isFailure(exit)).toBe(true)
    const message = JSON.stringify(exit)
    expect(message).toContain("PostgreSQL did not start: it exited (1): FATAL:  invalid value for parameter")
    expect(message).toContain("server.log")
  })

  test("a server that fails while the thread pool is busy still says why, at once", async () => {
    // Four hashes of about half a second keep libuv's four threads busy, so closing the log file waits behind
    // them while the server fails: its exit must not be missed (it was, and the start ran its minute).
    let busy = true
    const occupy = () => {
      if (busy) pbkdf2("tally", "salt", 1_500_000, 32, "sha256", occupy)
    }
    for (let thread = 0; thread < 4; thread++) occupy()
    const exit = await startAndStop({
      dataDir: dataDir(),
      throwaway: true,
      settings: { shared_buffers: "a lot" },
    }).finally(() => {
      busy = false
    })

    expect(JSON.stringify(exit)).toContain(
      "PostgreSQL did not start: it exited (1): FATAL:  invalid value for parameter",
    )
  })
})
