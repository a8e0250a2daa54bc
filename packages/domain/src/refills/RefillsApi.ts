import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  readErrors,
  withExample,
} from "../api/ApiSupport.ts"
import * as Examples from "../TallyApiExamples.ts"
import { ConfigureRefillRequest, RefillStatus } from "./RefillCommands.ts"

export const RefillBody = withExample(
  Schema.Struct({
    amount: ConfigureRefillRequest.fields.amount,
    ceiling: ConfigureRefillRequest.fields.ceiling,
    schedule: ConfigureRefillRequest.fields.schedule,
    enabled: ConfigureRefillRequest.fields.enabled,
    expiresAfter: ConfigureRefillRequest.fields.expiresAfter,
  }),
  Examples.refill,
)

export const RunRefillsResponse = withExample(
  Schema.Struct({ refilled: Schema.Int, atCeiling: Schema.Int }),
  Examples.refillRun,
)

export class RefillsGroup extends HttpApiGroup.make("refills")
  .add(
    HttpApiEndpoint.get("refill", "/accounts/:accountId/refill", {
      params: accountParams,
      success: withExample(RefillStatus, Examples.refillStatus),
      error: readErrors,
    }).annotateMerge(OpenApi.annotations({ summary: "The account's periodic refill and when it is next due" })),
    HttpApiEndpoint.put("configureRefill", "/accounts/:accountId/refill", {
      params: accountParams,
      payload: RefillBody,
      success: withExample(RefillStatus, Examples.refillStatus),
      error: [OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Set the account's periodic refill: amount up to ceiling, daily, weekly or monthly",
        description:
          'schedule: {"period":"daily"}, {"period":"weekly","weekday":1..7} or {"period":"monthly","dayOfMonth":1..31}, at midnight UTC. Each period once, as a grant with the ceiling.',
      }),
    ),
    HttpApiEndpoint.post("runDueRefills", "/refills/run", {
      success: RunRefillsResponse,
      error: [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse],
    }).annotateMerge(
      OpenApi.annotations({
        summary:
          "Run every refill that is due now, once per account and period (the service also does it on a schedule)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({ title: "Refills", description: "Credits granted each period, up to a value" }),
  ) {}
