/**
 * Every bound Tally enforces, defined once. Amounts and balances are integer credits (minor units).
 */
export const Limits = {
  /** The largest balance an account can hold: beyond it JavaScript numbers stop being exact. */
  balanceMax: Number.MAX_SAFE_INTEGER,
  /** The largest single amount; one operation can move at most the whole balance range. */
  amountMax: Number.MAX_SAFE_INTEGER,
  /** The largest overdraft, so the floor -overdraftLimitMax stays exact too. */
  overdraftLimitMax: Number.MAX_SAFE_INTEGER,
  /** Account ids are opaque keys chosen by the caller: short, URL- and log-safe. */
  accountIdLengthMax: 128,
  accountIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
  /** Same bound as common payment APIs use for their idempotency keys. */
  idempotencyKeyLengthMax: 255,
  idempotencyKeyPattern: /^[\x21-\x7E]+$/,
  /** Metadata rides along every entry; a cap (UTF-8 bytes of its JSON) keeps one request from bloating the history. */
  metadataBytesMax: 4096,
  /** Nesting of metadata; deeper JSON is refused before anything walks it recursively. */
  metadataDepthMax: 32,
  /** Keys of a metadata object and every object inside it, together. */
  metadataKeysMax: 256,
  /** Entries per page of history. */
  entriesPageSizeMax: 500,
  entriesPageSizeDefault: 50,
  /** A caller's reference on a write (a run id, an order id): the same bound and characters as idempotency keys. */
  referenceLengthMax: 255,
  referencePattern: /^[\x21-\x7E]+$/,
  /** Why an adjustment was made: a sentence for the people who read the trail, not a document. */
  reasonLengthMax: 500,
  /** Who made an adjustment: a user id or an e-mail address. */
  actorLengthMax: 255,
  /**
   * The longest a hold may stay open before it expires: card networks keep an authorisation for
   * about a month, and a reservation older than that is a forgotten one.
   */
  holdExpiresInSecondsMax: 31 * 24 * 60 * 60,
  /** Holds `expireHolds` releases per pass (each pass reads this many due holds, then expires them). */
  holdsExpiredPerPassMax: 500,
  /** Expiries a pass submits at once: enough to fill a few group-commit batches, no more. */
  holdsExpiringConcurrentlyMax: 64,
} as const
