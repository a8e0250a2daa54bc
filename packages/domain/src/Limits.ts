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
  /** Accounts per page of the listing by last activity. */
  accountsPageSizeMax: 200,
  accountsPageSizeDefault: 20,
  /** Runs per page of history by run: each carries up to `runDetailsMax` entries. */
  runsPageSizeMax: 100,
  runsPageSizeDefault: 20,
  /** Entries a run shows of its own (the newest); its total and counts cover all of them. */
  runDetailsMax: 100,
  runDetailsDefault: 10,
  /**
   * Consecutive failed auto top-up requests before auto top-up is switched off for the account: a
   * card that was declined three times in a row needs a person (common practice, e.g. LTX, Helicone).
   */
  autoTopUpConsecutiveFailuresMax: 3,
  /**
   * An auto top-up request nobody completes or fails within this long expires, so an app that never
   * handles it does not block auto top-up forever; a day covers an app's retries of a declined card.
   */
  autoTopUpRequestExpiryMs: 24 * 60 * 60 * 1000,
  /**
   * A pending credit nobody activates or voids within this long (unless it says otherwise) expires:
   * a checkout's payment is confirmed or abandoned within minutes, and an hour covers a slow provider.
   */
  pendingCreditExpiresInSecondsDefault: 60 * 60,
  /** The longest a pending credit may wait, as a hold may: a payment not settled within a month is a lost one. */
  pendingCreditExpiresInSecondsMax: 31 * 24 * 60 * 60,
  /** Why a payment failed, as the app tells it: a sentence or a provider's code, not a document. */
  autoTopUpFailureReasonLengthMax: 500,
  /** Events per page of the feed; a page is one indexed range read. */
  eventsPageSizeMax: 500,
  eventsPageSizeDefault: 100,
  /**
   * The longest a feed read waits for an event (long-poll): below the idle timeouts of common proxies
   * and load balancers (60 s), and a caller whose wait ends simply asks again.
   */
  eventsWaitSecondsMax: 20,
  /** A waiting feed read looks again this often: one indexed read per waiting caller per interval. */
  eventsPollIntervalMs: 200,
  /** Webhook endpoint URLs: the common practical URL bound. */
  webhookUrlLengthMax: 2048,
  /** A webhook secret shorter than this is guessable; longer than this is a mistake. */
  webhookSecretLengthMin: 16,
  webhookSecretLengthMax: 255,
  /** Webhook endpoints in all: each one is a fan-out of every event. */
  webhookEndpointsMax: 100,
  /** Deliveries per page when reading an endpoint's delivery attempts. */
  webhookDeliveriesPageSizeMax: 200,
  webhookDeliveriesPageSizeDefault: 50,
  /** A receiver gets this long to answer a delivery; a slower answer counts as a failed attempt. */
  webhookAttemptTimeoutMs: 10_000,
  /** The first retry of a failed delivery comes after this long; each later one after twice the last. */
  webhookRetryFirstDelayMs: 5_000,
  /** Retries back off no further than this, so a receiver that recovers is reached within the hour. */
  webhookRetryDelayMaxMs: 60 * 60 * 1000,
  /** Deliveries are retried for this long after the event is queued (as Stripe does), then given up. */
  webhookRetryPeriodMs: 3 * 24 * 60 * 60 * 1000,
  /** A receiver refuses a signature older than this (what the README's example checks): replays are bounded. */
  webhookSignatureToleranceSeconds: 300,
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
  /**
   * Open holds an account's listing shows, oldest first: an account runs a few at a time (one per run
   * in flight); more than this is a leak the listing says exists.
   */
  openHoldsListedMax: 200,
  /** Holds `expireHolds` releases per pass (each pass reads this many due holds, then expires them). */
  holdsExpiredPerPassMax: 500,
  /** Expiries a pass submits at once: enough to fill a few group-commit batches, no more. */
  holdsExpiringConcurrentlyMax: 64,
  /** A wallet's member ids (the user who caused an entry): the bound and characters of account ids. */
  memberLengthMax: 128,
  /**
   * Members a wallet may give a limit of their own (besides its default): the limits travel with the
   * account's state on every member-limited write, so they stay a page of JSON, not a directory.
   */
  memberLimitsMax: 1000,
  /** What the sweeps of auto top-up requests and refills read per page (each page is one indexed read). */
  sweepPageSizeMax: 500,
  /** Writes those sweeps submit at once: as for holds, a few group-commit batches. */
  sweepWritesConcurrentlyMax: 64,
} as const
