/** Only the builders in `messages.ts` make notifications; see {@link PushNotification}. */
declare const vetted: unique symbol;

/**
 * What a device shows: a generic title and body, and ids in `data` for the app to fetch the
 * details over an authenticated API. Push travels through third parties and sits on lock
 * screens, so nothing in it may identify a patient. The brand means a notification can only
 * come from a builder in `messages.ts`, whose texts are fixed and whose data are ids.
 */
export interface PushNotification {
  readonly title: string;
  readonly body: string;
  /** FCM carries data as strings only. */
  readonly data: Readonly<Record<string, string>>;
  readonly [vetted]: true;
}

export interface PushMessage {
  /** The FCM registration token of the device. Never logged: it singles out one phone. */
  deviceToken: string;
  notification: PushNotification;
}

/**
 * What became of one notification. Only `sent` means FCM accepted it; nothing is dropped
 * without a result saying so.
 *
 * - `remove-token`: the device token is no longer registered; delete it and stop using it.
 * - `failed` with `retryable`: try again later, not sooner than `retryAfterMs` when given.
 * - `failed` without `retryable`: this message will never go through as it is.
 * - `undeliverable`: this deployment cannot send push at all (e.g. not configured).
 */
export type PushResult =
  | { status: 'sent'; messageId: string }
  | { status: 'remove-token'; code: 'UNREGISTERED'; reason: string }
  | { status: 'failed'; code: string; retryable: boolean; retryAfterMs?: number; reason: string }
  | { status: 'undeliverable'; reason: string };

export interface PushSender {
  /** Which service delivers: `fcm`, or `unconfigured` when push is off. */
  readonly name: 'fcm' | 'unconfigured';
  /**
   * Sends one notification to one device. Resolves with a {@link PushResult} for every outcome
   * of the delivery; rejects only with the caller's abort reason, or on a bug.
   */
  send(message: PushMessage, signal?: AbortSignal): Promise<PushResult>;
}
