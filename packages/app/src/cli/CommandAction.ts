import * as Effect from "effect/Effect"

/**
 * Runs a command's action from its feature's module, imported only when the command runs, under the
 * commands' logging (warnings and errors as logfmt on stderr). Parsing the command line, `--help`
 * and `--version` load neither: the actions, the ledger's schemas and the settings they read.
 */
export const runAction = <M, E, R>(load: () => Promise<M>, act: (module: M) => Effect.Effect<void, E, R>) =>
  Effect.flatMap(
    Effect.promise(() => Promise.all([load(), import("../Logging.ts")])),
    ([module, Logging]) => act(module).pipe(Effect.provide(Logging.commandLayer)),
  )
