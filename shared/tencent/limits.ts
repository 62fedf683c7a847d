/** Tencent's limit of accounts per portrait_get call; past it the reply may be too big to send. */
export const TENCENT_MAX_ACCOUNTS = 100;

/** A UserID is non-empty printable ASCII of at most this many bytes (docs/tencent.md, "UserIDs"). */
export const MAX_USER_ID_BYTES = 32;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Whether every character of `text` is printable ASCII (0x20 to 0x7E), as UserIDs must be. */
export const isPrintableAscii = (text: string): boolean => PRINTABLE_ASCII.test(text);
