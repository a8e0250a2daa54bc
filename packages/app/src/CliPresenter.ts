import * as Console from "effect/Console"
import * as CliOutput from "effect/cli/CliOutput"
import type { HelpDoc } from "effect/cli/HelpDoc"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import * as Effect from "effect/Effect"

/**
 * How the `tally` command line presents its help and the arguments it could not parse. Effect's
 * presenter prints the whole help before a parse error, and caps the subcommand column at 20
 * characters, so `complete-auto-top-up` ran into its description.
 */

/** The subcommand table as Effect draws its other tables, its column as wide as the longest name. */
const subcommandTable = (doc: HelpDoc) =>
  (doc.subcommands ?? []).flatMap(({ group, commands }) => {
    const width = Math.max(...commands.map((command) => command.name.length)) + 4
    return [
      "",
      group === undefined ? "SUBCOMMANDS" : `${group}:`,
      ...commands.map((command) => `  ${command.name.padEnd(width)}${command.shortDescription ?? command.description}`),
    ]
  })

const helpText = (formatter: CliOutput.Formatter, doc: HelpDoc) =>
  doc.subcommands === undefined || doc.subcommands.length === 0
    ? formatter.formatHelpDoc(doc)
    : [formatter.formatHelpDoc({ ...doc, subcommands: [] }).trimEnd(), ...subcommandTable(doc), ""].join("\n")

/** Effect's messages may span lines ("Did you mean this?" and its suggestions). */
const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, " ")

/**
 * A parse error is one line on stderr, what was wrong and where to look (`run tally top-up --help`),
 * or with `--json` the error as every other refusal prints it, `{ "_tag", "message" }` on stdout.
 * The exit code (2) is set where the run ends (main.ts).
 */
export const presenter = (options: { readonly json: boolean }): CliOutput.Presenter => ({
  present: (event) =>
    Effect.gen(function* () {
      if (event._tag === "InvalidInvocation") {
        const cause = event.errors.map((error) => oneLine(error.message)).join("; ")
        const message = `${cause}; run ${event.commandPath.join(" ")} --help`
        return yield* options.json
          ? Console.log(JSON.stringify({ _tag: "InvalidRequest", message }, null, 2))
          : Console.error(`tally: ${message}`)
      }
      if (event._tag === "Help") {
        const capabilities = yield* TerminalCapabilities.TerminalCapabilities
        const formatter = CliOutput.defaultFormatter({ colors: capabilities.canColor })
        return yield* Console.log(helpText(formatter, event.helpDoc))
      }
      return yield* CliOutput.defaultPresenter.present(event)
    }),
})
