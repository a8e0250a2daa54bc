export * as Arbitraries from "./Arbitraries.ts"
export { ledgerContract } from "./LedgerContract.ts"
