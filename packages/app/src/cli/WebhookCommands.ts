import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { json, key, memory } from "./CommandFlags.ts"

const actions = () => import("./WebhookActions.ts")

const endpointId = Argument.String("endpoint").pipe(Argument.withDescription("The endpoint id (we_...)"))

export const createWebhookFlags = {
  url: Argument.String("url").pipe(Argument.withDescription("Where to post events (http or https)")),
  secret: Flag.String("secret").pipe(
    Flag.withDescription("The signing secret (16 to 255 printable characters); generated when left out"),
    Flag.optional,
  ),
  key: key.pipe(Flag.withDescription("Idempotency key: a retry with the same key answers the endpoint it created")),
  memory,
  json,
}

const createWebhook = Command.make("create", createWebhookFlags, (flags) =>
  runAction(actions, (action) => action.createWebhook(flags)),
).pipe(Command.withDescription("Add a webhook endpoint; prints its signing secret once"))

export const listWebhooksFlags = { memory, json }

const listWebhooks = Command.make("list", listWebhooksFlags, (flags) =>
  runAction(actions, (action) => action.listWebhooks(flags)),
).pipe(Command.withDescription("List the webhook endpoints"))

export const deleteWebhookFlags = { endpointId, memory, json }

const deleteWebhook = Command.make("delete", deleteWebhookFlags, (flags) =>
  runAction(actions, (action) => action.deleteWebhook(flags)),
).pipe(Command.withDescription("Remove a webhook endpoint and its deliveries"))

export const webhookDeliveriesFlags = {
  endpointId,
  limit: Flag.Int("limit").pipe(Flag.withDescription("Deliveries to show, newest first"), Flag.optional),
  memory,
  json,
}

const webhookDeliveries = Command.make("deliveries", webhookDeliveriesFlags, (flags) =>
  runAction(actions, (action) => action.webhookDeliveries(flags)),
).pipe(Command.withDescription("Show an endpoint's deliveries and their attempts"))

export const webhooks = Command.make("webhooks").pipe(
  Command.withDescription("Manage webhook endpoints: create, list, delete, deliveries"),
  Command.withSubcommands([createWebhook, listWebhooks, deleteWebhook, webhookDeliveries]),
)
