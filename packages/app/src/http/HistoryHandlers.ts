import { exportContentType, exportText, Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import * as Stream from "effect/Stream"

/** `/v1/entries` (search across accounts) and `/v1/export`, over the `Ledger`. */
export const HistoryHandlers = HttpApiBuilder.group(
  TallyApi,
  "history",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      search: ({ query }) => ledger.search(query),
      // A failure once rows were sent can only cut the response short: the reader sees a broken body.
      export: ({ query: { format = "csv", ...filter } }) =>
        ledger.exportEntries(filter).pipe(
          Effect.map((entries) =>
            HttpServerResponse.stream(Stream.encodeText(exportText(format, entries)), {
              contentType: exportContentType[format],
            }),
          ),
        ),
    })
  }),
)
