import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { json, memory } from "./CommandFlags.ts"

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
  runAction(actions, (action) => action.events(flags)),
).pipe(Command.withDescription("Read the event feed, oldest first"))
