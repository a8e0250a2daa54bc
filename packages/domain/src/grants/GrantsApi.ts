import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import {
  Authorization,
  accountParams,
  InvalidRequestResponse,
  LedgerUnavailableResponse,
  OutcomeUnknownResponse,
  readErrors,
  withExample,
} from "../api/ApiSupport.ts"
import { ExpiresNext } from "./Expiry.ts"
import { Grant } from "./Grant.ts"
import { GrantsRequest } from "./GrantRequest.ts"

const grantExample = {
  accountId: "acct_123",
  grantId: 2,
  status: "live",
  amount: 500,
  remaining: 350,
  expired: 0,
  priority: 5,
  expiresAt: "2026-02-01T00:00:00.000Z",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-05T10:00:00.000Z",
  warnedAt: null,
}

export const GrantsResponse = withExample(
  Schema.Struct({
    accountId: AccountId,
    grants: Schema.Array(Grant),
    nextCursor: Schema.NullOr(Schema.String),
    expiresNext: ExpiresNext,
  }),
  {
    accountId: "acct_123",
    grants: [grantExample],
    nextCursor: null,
    expiresNext: { amount: 350, at: "2026-02-01T00:00:00.000Z" },
  },
)

export const GrantExpiryResponse = withExample(Schema.Struct({ accounts: Schema.Int, expired: Schema.Int }), {
  accounts: 1,
  expired: 350,
})

const expiryErrors = [LedgerUnavailableResponse, OutcomeUnknownResponse, InvalidRequestResponse] as const

/** `/v1/accounts/{accountId}/grants`, and expiring what is due of one account's grants or of all. */
export class GrantsGroup extends HttpApiGroup.make("grants")
  .add(
    HttpApiEndpoint.get("grants", "/accounts/:accountId/grants", {
      params: accountParams,
      query: { limit: GrantsRequest.fields.limit, cursor: GrantsRequest.fields.cursor },
      success: GrantsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The account's grants (live, spent and expired), newest first, and what expires next",
        description:
          "A credit with expiresAt or priority is a grant; its id is the sequence of the entry that made it. Debits draw live grants by priority (lower first), then soonest expiry, then oldest, and credits without either field last; each entry's allocations say what it took from which grant.",
      }),
    ),
    HttpApiEndpoint.post("expireAccountGrants", "/accounts/:accountId/grants/expire", {
      params: accountParams,
      success: GrantExpiryResponse,
      error: expiryErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Expire what is due of the account's grants now, as one expiry entry",
        description: "Credits an open hold reserves stay until the hold resolves, and expire at the next run after.",
      }),
    ),
    HttpApiEndpoint.post("expireGrants", "/grants/expire", {
      success: GrantExpiryResponse,
      error: expiryErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Expire what is due of every account's grants (the service also does it on its sweep)",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(
    OpenApi.annotations({ title: "Grants", description: "Credits that expire, drawn down in priority order" }),
  ) {}
