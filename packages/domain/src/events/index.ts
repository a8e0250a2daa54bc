export * as AccountEvents from "./AccountEvents.ts"
export * from "./EventFeed.ts"
export * from "./EventsApi.ts"
export * from "./LedgerEvent.ts"
