#!/usr/bin/env node
import { createRequire } from "node:module"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as CliConfig from "effect/cli/CliConfig"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as GlobalFlag from "effect/cli/GlobalFlag"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { serving, tally } from "./Cli.ts"
import * as CliPresenter from "./CliPresenter.ts"
import { ExitCode, render } from "./ExitCode.ts"
import { grace, markAsStopping } from "./Stopping.ts"

// The package's own version, which changesets bump: `src/` and `dist/` both sit beside package.json.
const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

/**
 * The `tally` executable: `node --import tsx packages/app/src/main.ts <command>` from the repository
 * root (`pnpm tally`, `pnpm start`), one process, so the pid a supervisor holds is the server's;
 * `dist/main.js` (the `tally` bin) once built and installed.
 */
// Each command provides its own storage; the CLI module types the tree's requirements loosely.
const program: Effect.Effect<void, unknown> = Command.run(tally, { version }).pipe(
  Effect.catchIf(CliError.isCliError, (error) =>
    Effect.sync(() => {
      // Help asked for is a success; anything the parser refused is bad input (already printed).
      process.exitCode = error._tag === "ShowHelp" && error.errors.length === 0 ? ExitCode.success : ExitCode.badInput
    }),
  ),
  Effect.catchCause((cause) => render(cause, false)),
  Effect.provide(
    Layer.merge(
      // The wizard prompts for every flag of a command: not a way to run a ledger's writes.
      CliConfig.layer({ builtIns: GlobalFlag.BuiltIns.filter((flag) => flag !== GlobalFlag.Wizard) }),
      // Flags are parsed before any command runs, so `--json` is read from the arguments themselves.
      CliOutput.layerPresenter(CliPresenter.presenter({ json: process.argv.includes("--json") })),
    ),
  ),
  Effect.provide(NodeServices.layer),
)

/** An orderly shutdown gets this long past the requests' grace (closing the pool, stopping PostgreSQL); then the process exits anyway. */
const shutdownAfterGraceMs = 10_000
/** A signal this long after the first is someone insisting (Ctrl-C again), not a relay of the first. */
const repeatedSignalMs = 1_000
/** How often a process started by a package manager's script checks that the package manager lives. */
const launcherCheckIntervalMs = 500

/**
 * The runtime shuts down in order on SIGINT and SIGTERM (stop accepting, finish requests, close the
 * pool, stop the embedded server); SIGHUP (the terminal closed) asks for the same. A shutdown that
 * hangs ends at the deadline, and a second Ctrl-C ends it at once.
 */
const takeOverShutdownSignals = () => {
  process.on("SIGHUP", () => process.kill(process.pid, "SIGTERM"))
  let firstSignalAt: number | undefined
  const onSignal = () => {
    // A SIGTERM to the process group reaches Tally twice under pnpm (pnpm relays it) within milliseconds.
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < repeatedSignalMs) return
      console.error("tally: second signal, exiting without finishing the shutdown")
      process.exit(ExitCode.failure)
    }
    firstSignalAt = Date.now()
    markAsStopping()
    const deadlineMs = grace.ms + shutdownAfterGraceMs
    setTimeout(() => {
      console.error(`tally: shutdown did not finish within ${deadlineMs} ms, exiting`)
      process.exit(ExitCode.failure)
    }, deadlineMs).unref()
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
}

/**
 * Under `pnpm start` the pid a supervisor holds is pnpm's, and SIGKILL cannot be relayed: when the
 * package manager that started this process dies, this process shuts down in order instead of
 * living on as an orphan. (Started directly, Tally outlives its parent, as `nohup` users expect.)
 */
const followLauncher = () => {
  if (process.env.npm_lifecycle_event === undefined) return
  const launcher = process.ppid
  const check = setInterval(() => {
    if (process.ppid === launcher) return
    clearInterval(check)
    console.error(`tally: the package manager that started it (pid ${launcher}) is gone, shutting down`)
    process.kill(process.pid, "SIGTERM")
  }, launcherCheckIntervalMs)
  check.unref()
}

const interruptedLine =
  "tally: interrupted: a write it was making may have been made or not; run the same command with the same --key to find out (a write without a key: read the account's entries)"

takeOverShutdownSignals()
followLauncher()
NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(Number(process.exitCode ?? ExitCode.success))
    // A signal: the service shut down cleanly; a command was cut short, perhaps after its write committed.
    if (Cause.hasInterruptsOnly(exit.cause)) {
      if (serving.value) return onExit(ExitCode.success)
      console.error(interruptedLine)
      return onExit(ExitCode.interrupted)
    }
    return onExit(ExitCode.failure)
  },
})
