import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import { SecureRandom } from "effect/crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type InvalidRequest, type LedgerUnavailable, validateRequest } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { DeliveriesRequest, type WebhookDelivery } from "./WebhookDelivery.ts"
import {
  type CreatedWebhookEndpoint,
  type WebhookEndpoint,
  type WebhookEndpointLimitReached,
  WebhookEndpointNotFound,
  WebhookEndpointRequest,
} from "./WebhookEndpoint.ts"
import { hex } from "./WebhookSignature.ts"
import { WebhookStore } from "./WebhookStore.ts"

const validate = validateRequest

/** Bytes of randomness in a generated secret: 256 bits, the HMAC-SHA256 key size. */
const secretBytes = 32

/**
 * Webhook endpoints: configured by URL, each with a secret that signs its deliveries, and the
 * deliveries with their attempts. Ids and secrets come from `SecureRandom`, times from `Clock`.
 */
export class Webhooks extends Context.Service<
  Webhooks,
  {
    readonly create: (
      request: typeof WebhookEndpointRequest.Encoded,
    ) => Effect.Effect<CreatedWebhookEndpoint, InvalidRequest | WebhookEndpointLimitReached | LedgerUnavailable>
    readonly list: Effect.Effect<ReadonlyArray<WebhookEndpoint>, LedgerUnavailable>
    readonly remove: (
      endpointId: string,
    ) => Effect.Effect<void, InvalidRequest | WebhookEndpointNotFound | LedgerUnavailable>
    readonly deliveries: (
      request: typeof DeliveriesRequest.Encoded,
    ) => Effect.Effect<ReadonlyArray<WebhookDelivery>, InvalidRequest | WebhookEndpointNotFound | LedgerUnavailable>
  }
>()("@tally/domain/Webhooks") {
  static readonly make = Effect.gen(function* () {
    const store = yield* WebhookStore
    const random = yield* SecureRandom.SecureRandom

    const create = Effect.fn("Webhooks.create")(function* (input: typeof WebhookEndpointRequest.Encoded) {
      const request = yield* validate(WebhookEndpointRequest)(input)
      const id = `we_${hex(yield* random.randomBytes(16))}`
      const secret = request.secret ?? `whsec_${hex(yield* random.randomBytes(secretBytes))}`
      const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      return yield* store.create({ id, url: request.url, secret, createdAt }, Limits.webhookEndpointsMax)
    })

    const endpointId = (id: string) => validate(DeliveriesRequest.fields.endpointId)(id)

    return Webhooks.of({
      create,
      list: store.list,
      remove: (id) =>
        endpointId(id).pipe(
          Effect.flatMap(store.remove),
          Effect.flatMap((removed) =>
            removed ? Effect.void : Effect.fail(new WebhookEndpointNotFound({ endpointId: id })),
          ),
        ),
      deliveries: (input) =>
        validate(DeliveriesRequest)(input).pipe(
          Effect.flatMap((request) =>
            store.deliveries(request.endpointId, request.limit ?? Limits.webhookDeliveriesPageSizeDefault),
          ),
          Effect.flatMap((deliveries) =>
            deliveries === undefined
              ? Effect.fail(new WebhookEndpointNotFound({ endpointId: input.endpointId }))
              : Effect.succeed(deliveries),
          ),
        ),
    })
  })

  static readonly layer = Layer.effect(Webhooks, Webhooks.make)
}
