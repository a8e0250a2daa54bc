import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { json, memory } from "./CommandFlags.ts"

/** What the commands do, loaded when one runs, so parsing the command line loads none of it. */
const actions = () => import("./EventActions.ts")

export const eventsFlags = {
  after: Flag.Int("after").pipe(
    Flag.withDescription("Read after this event id (the last one you read)"),
    Flag.optional,
  ),
  limit: Flag.Int("limit").pipe(Flag.withDescription("Events per page"), Flag.optional),
  wait: Flag.Int("wait").pipe(
    Flag.withDescription("Seconds to wait for an event when there is none yet"),
    Flag.optional,
  ),
  memory,
  json,
}

export const events = Command.make("events", eventsFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.events(flags)),
).pipe(Command.withDescription("Read the event feed, oldest first"))
