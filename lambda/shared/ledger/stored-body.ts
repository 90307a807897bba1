import { isUtf8 } from 'node:buffer';

/*
 * How the ledger keeps a body byte for byte, on event rows and parked rows alike: as text in `rawBody`
 * when the bytes are valid UTF-8, otherwise base64 in `rawBodyBase64` (a DynamoDB String holds UTF-8
 * text only, and decoding invalid bytes would replace them).
 */

/** DynamoDB's largest item: 400 KB, counting every attribute's name and value in UTF-8 bytes. */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

/**
 * The most a row gives its body attribute (name and value). The rest of an event or parked row is under
 * 1 KB; the margin leaves room for it many times over. The largest body the verifier accepts (256 KiB)
 * is 262,144 bytes as text and 349,528 as base64, both under this.
 */
export const MAX_STORED_BODY_BYTES = DYNAMODB_MAX_ITEM_BYTES - 16 * 1024;

/** Why an event row holds no body, in its `bodyNotKept` attribute. */
export const BODY_NOT_KEPT = {
  /** Body retention is off (config `keepEventBodies: false`). */
  disabled: 'disabled',
  /** The body's stored form would not fit in one row beside the others. */
  tooLarge: 'too_large',
} as const;
export type BodyNotKept = (typeof BODY_NOT_KEPT)[keyof typeof BODY_NOT_KEPT];

export type StoredBody = { readonly rawBody: string } | { readonly rawBodyBase64: string };

/** The body attribute for `bytes`: text when they are valid UTF-8, base64 otherwise. */
export function storedBody(bytes: Buffer): StoredBody {
  return isUtf8(bytes) ? { rawBody: bytes.toString('utf8') } : { rawBodyBase64: bytes.toString('base64') };
}

/** The bytes a stored body attribute takes in an item: its name plus its value's UTF-8 bytes. */
export function storedBodyBytes(body: StoredBody): number {
  if ('rawBody' in body) return 'rawBody'.length + Buffer.byteLength(body.rawBody, 'utf8');
  return 'rawBodyBase64'.length + body.rawBodyBase64.length;
}

/**
 * What an event row keeps of its body: the body when retention is on and it fits, otherwise why not.
 * @param bytes the signed bytes; undefined keeps nothing and says nothing (a caller without a body)
 */
export function eventRowBody(
  bytes: Buffer | undefined,
  keep: boolean,
): StoredBody | { readonly bodyNotKept: BodyNotKept } | Record<string, never> {
  if (bytes === undefined) return {};
  if (!keep) return { bodyNotKept: BODY_NOT_KEPT.disabled };
  const body = storedBody(bytes);
  return storedBodyBytes(body) <= MAX_STORED_BODY_BYTES ? body : { bodyNotKept: BODY_NOT_KEPT.tooLarge };
}

/**
 * The exact bytes a row's body attributes hold, or undefined when it holds none.
 * @throws Error when `rawBodyBase64` is not base64 (a damaged row must not decode to other bytes)
 */
export function bodyBytesOf(row: {
  readonly rawBody?: unknown;
  readonly rawBodyBase64?: unknown;
}): Buffer | undefined {
  if (typeof row.rawBody === 'string') return Buffer.from(row.rawBody, 'utf8');
  if (typeof row.rawBodyBase64 === 'string') {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(row.rawBodyBase64)) {
      throw new Error("the row's rawBodyBase64 is not base64");
    }
    return Buffer.from(row.rawBodyBase64, 'base64');
  }
  return undefined;
}
