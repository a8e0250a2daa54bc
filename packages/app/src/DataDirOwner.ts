import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { ProcessStatus } from "@tally/adapters/embedded-postgres"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * Who runs the embedded PostgreSQL of a data directory. The embedded server stops any server it
 * finds running on its directory (the orphan of a kill -9), so without this record a CLI command
 * would stop the database of a running `tally serve`. The owner writes `owner.json` with its pid
 * and, once the database is up, its URL; a CLI command that finds a live server there uses that
 * database instead of starting one, and a second `serve` refuses to start.
 */

/** How long a command waits for another command, or a starting server, to finish with the directory. */
const waitAttemptsMax = 300
const waitInterval = "100 millis"

export class DataDirBusy extends Schema.TaggedError<DataDirBusy>()("DataDirBusy", {
  dataDir: Schema.String,
  pid: Schema.Int,
}) {
  override get message() {
    return `the data directory ${this.dataDir} is in use by tally process ${this.pid}; stop it, or set TALLY_DATA_DIR to another directory, or DATABASE_URL to a PostgreSQL server`
  }
}

export class DataDirError extends Schema.TaggedError<DataDirError>()("DataDirError", {
  dataDir: Schema.String,
  message: Schema.String,
}) {}

export type Role = "serve" | "command"

const OwnerRecord = Schema.Struct({
  pid: Schema.Int,
  /** The process's start time, so a pid reused after a reboot is not taken for the owner. */
  startTime: Schema.NullOr(Schema.String),
  role: Schema.Literals(["serve", "command"]),
  databaseUrl: Schema.NullOr(Schema.String),
})
type OwnerRecord = typeof OwnerRecord.Type

const decodeRecord = Schema.decodeUnknownOption(Schema.fromJsonString(OwnerRecord))

export type Claim =
  | { readonly _tag: "Owner"; readonly publish: (url: Redacted.Redacted<string>) => Effect.Effect<void> }
  | { readonly _tag: "Guest"; readonly databaseUrl: Redacted.Redacted<string> }

/**
 * Takes the data directory for this process (released when the scope closes), or, for a command,
 * finds the live server that holds it. A record left by a dead process (a zombie too) is stale and replaced.
 */
export const claim = (dataDir: string, role: Role) =>
  Effect.gen(function* () {
    const ownerFile = Path.join(dataDir, "owner.json")
    const fail = (what: string) => (cause: unknown) =>
      new DataDirError({ dataDir, message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })
    yield* Effect.tryPromise({ try: () => Fs.mkdir(dataDir, { recursive: true }), catch: fail("cannot create it") })
    const self: OwnerRecord = {
      pid: process.pid,
      startTime: yield* ProcessStatus.startTimeOf(process.pid),
      role,
      databaseUrl: null,
    }
    const write = (record: OwnerRecord, flag: "wx" | "w") =>
      Fs.writeFile(ownerFile, JSON.stringify(record), { flag, mode: 0o600 })

    for (let attempt = 0; attempt < waitAttemptsMax; attempt++) {
      const created = yield* Effect.tryPromise({ try: () => write(self, "wx"), catch: (e) => e }).pipe(
        Effect.as(true),
        Effect.catchIf(
          (e) => (e as NodeJS.ErrnoException).code === "EEXIST",
          () => Effect.succeed(false),
        ),
        Effect.mapError(fail("cannot write owner.json")),
      )
      if (created) {
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            const current = decodeRecord(await Fs.readFile(ownerFile, "utf8").catch(() => ""))
            if (current._tag === "Some" && current.value.pid === process.pid) await Fs.rm(ownerFile, { force: true })
          }),
        )
        const publish = (url: Redacted.Redacted<string>) =>
          Effect.promise(async () => {
            const next = `${ownerFile}.${process.pid}`
            await Fs.writeFile(next, JSON.stringify({ ...self, databaseUrl: Redacted.value(url) }), { mode: 0o600 })
            await Fs.rename(next, ownerFile)
          })
        return { _tag: "Owner", publish } satisfies Claim as Claim
      }
      const text = yield* Effect.promise(() => Fs.readFile(ownerFile, "utf8").catch(() => ""))
      const record = decodeRecord(text)
      if (record._tag === "None") {
        // Being written right now, or garbage: give a writer a moment, then treat it as stale.
        if (attempt % 10 === 9) yield* Effect.promise(() => Fs.rm(ownerFile, { force: true }))
      } else if (!(yield* ProcessStatus.isRunning(record.value.pid, record.value.startTime))) {
        yield* Effect.logWarning(`replacing the record of tally process ${record.value.pid}, which is gone`)
        yield* Effect.promise(() => Fs.rm(ownerFile, { force: true }))
        continue
      } else if (role === "serve") {
        return yield* new DataDirBusy({ dataDir, pid: record.value.pid })
      } else if (record.value.role === "serve" && record.value.databaseUrl !== null) {
        return { _tag: "Guest", databaseUrl: Redacted.make(record.value.databaseUrl) } satisfies Claim as Claim
      }
      // Another command holds the directory, or a server is still starting: wait for it.
      yield* Effect.sleep(waitInterval)
    }
    const last = decodeRecord(yield* Effect.promise(() => Fs.readFile(ownerFile, "utf8").catch(() => "")))
    return yield* new DataDirBusy({ dataDir, pid: last._tag === "Some" ? last.value.pid : 0 })
  })
