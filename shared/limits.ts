/** Protocol limits and defaults: the only place these numbers live. */

export const PROTOCOL_VERSION = 1;

/** A WebSocket frame or a TCP line longer than this is refused with TOO_LARGE. */
export const MAX_FRAME_BYTES = 64 * 1024;

export const NICK_MAX = 24;
export const ROOM_NAME_MAX = 32;
export const TEXT_MAX = 4000;
export const TOPIC_MAX = 500;
export const REASON_MAX = 300;
export const REF_MAX = 64;
/** The longest message id a client may name (ours are 21 characters). */
export const MESSAGE_ID_MAX = 64;
export const PASSWORD_MAX = 256;
/** The shortest password an account may have. */
export const PASSWORD_MIN = 8;
export const EMAIL_MAX = 254;
/** A ban mask (an address or CIDR block) is at most this long; a ban lasts at most a year when timed. */
export const MASK_MAX = 64;
export const BAN_SECONDS_MAX = 366 * 24 * 3600;
export const CLIENT_NAME_MAX = 64;

/** How many messages `join` replays, and the most one `history` request returns. */
export const HISTORY_ON_JOIN = 50;
export const HISTORY_PAGE_MAX = 200;

/** A `search` query is at most this many code points, and holds at most SEARCH_WORDS_MAX words. */
export const SEARCH_QUERY_MAX = 200;
export const SEARCH_WORDS_MAX = 16;

/**
 * A `history` page, a `rooms` page and a `who` list stop at about this many bytes of JSON (a page says
 * `more`), so no answer is larger than a reading client can take at once.
 */
export const REPLY_MAX_BYTES = 256 * 1024;

/** The most nicks one `who` lists (`total` still counts them all): within REPLY_MAX_BYTES at the longest nick. */
export const WHO_MAX = Math.floor(REPLY_MAX_BYTES / (NICK_MAX + 3));

/**
 * In a room above the server's announce limit, the `who` sent on join lists at most this many members
 * (and `total` says how many there are): a full list per joiner would make filling the room quadratic.
 */
export const WHO_PREVIEW = 100;

export const LOBBY = '#lobby';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WS_PORT = 7878;
export const DEFAULT_TCP_PORT = 7879;
