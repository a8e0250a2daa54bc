export * as Arbitraries from "./Arbitraries.ts"
