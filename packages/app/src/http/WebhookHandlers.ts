import { TallyApi, Webhooks, whenSet } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/webhooks`: endpoints and their deliveries, over the `Webhooks` service. */
export const WebhookHandlers = HttpApiBuilder.group(
  TallyApi,
  "webhooks",
  Effect.fn(function* (handlers) {
    const webhooks = yield* Webhooks
    return handlers.handleAll({
      createWebhook: ({ payload, headers }) =>
        webhooks.create({ ...payload, ...whenSet("idempotencyKey", headers["idempotency-key"]) }),
      listWebhooks: () => Effect.map(webhooks.list, (endpoints) => ({ endpoints })),
      deleteWebhook: ({ params }) =>
        webhooks.remove(params.endpointId).pipe(Effect.as({ id: params.endpointId, deleted: true as const })),
      webhookDeliveries: ({ params, query }) =>
        webhooks
          .deliveries({ endpointId: params.endpointId, ...query })
          .pipe(Effect.map((deliveries) => ({ deliveries }))),
    })
  }),
)
