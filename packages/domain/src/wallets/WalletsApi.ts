import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import {
  Authorization,
  accountParams,
  OutcomeUnknownResponse,
  readErrors,
  withExample,
  withMessage,
} from "../api/ApiSupport.ts"
import { MemberLimitExceeded } from "./MemberLimitExceeded.ts"
import { MemberLimitsStatus, SetMemberLimitsRequest } from "./MemberLimitsRequest.ts"

/** 409, as InsufficientCredits: the debit would take its member past the member's limit for the period. */
export const MemberLimitExceededResponse = withMessage(MemberLimitExceeded, 409)

const memberLimitsExample = {
  default: { credits: 500, period: "day" },
  members: { ana: { credits: 200, period: "day" } },
}

export const MemberLimitsBody = withExample(
  Schema.Struct({ default: SetMemberLimitsRequest.fields.default, members: SetMemberLimitsRequest.fields.members }),
  memberLimitsExample,
)

export const MemberLimitsResponse = withExample(MemberLimitsStatus, {
  accountId: "acme",
  ...memberLimitsExample,
  usage: [
    {
      member: "ana",
      limit: { credits: 200, period: "day" },
      periodStart: "2026-01-01T00:00:00.000Z",
      used: 150,
      held: 50,
      remaining: 50,
    },
  ],
})

export class WalletsGroup extends HttpApiGroup.make("wallets")
  .add(
    HttpApiEndpoint.get("memberLimits", "/accounts/:accountId/member-limits", {
      params: accountParams,
      success: MemberLimitsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The wallet's member limits, and what each limited member used of its limit this period",
      }),
    ),
    HttpApiEndpoint.put("setMemberLimits", "/accounts/:accountId/member-limits", {
      params: accountParams,
      payload: MemberLimitsBody,
      success: MemberLimitsResponse,
      error: [OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Set the wallet's member limits: at most credits per day, week or month (UTC calendar periods)",
        description:
          'default applies to every member without a limit of its own (members: {"ana": {"credits": 200, "period": "day"}}). Spends, holds and captures naming a member over its limit answer 409 MemberLimitExceeded. Replaces the limits the wallet had.',
      }),
    ),
    HttpApiEndpoint.delete("removeMemberLimits", "/accounts/:accountId/member-limits", {
      params: accountParams,
      success: MemberLimitsResponse,
      error: [OutcomeUnknownResponse, ...readErrors],
    }).annotateMerge(OpenApi.annotations({ summary: "Remove the wallet's member limits" })),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({
      title: "Wallets",
      description: "Organization wallets: members spending from one account, with limits per member",
    }),
  ) {}
