/**
 * The WebSocket close codes liveplot sends (RFC 6455, section 7.4.1), each
 * with what it means here.
 *
 * @module
 */

/** The demo's 100 points are sent (normal closure). */
export const CLOSE_NORMAL = 1000;
/** Shutdown (going away). */
export const CLOSE_GOING_AWAY = 1001;
/** An `/echo` client whose echoes pile up unread (policy violation). */
export const CLOSE_NOT_READING = 1008;
/** A message over `--max-message` (message too big). */
export const CLOSE_TOO_BIG = 1009;
/** A viewer too far behind, or one that cannot be served now: reconnect (try again later). */
export const CLOSE_TRY_AGAIN_LATER = 1013;
