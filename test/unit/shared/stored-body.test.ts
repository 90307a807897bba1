import { BODY_NOT_KEPT, bodyBytesOf, MAX_STORED_BODY_BYTES, storedBody } from '../../../lambda/shared/ledger';
import { eventRowBody, storedBodyBytes } from '../../../lambda/shared/ledger/stored-body';

describe('stored body', () => {
  it('keeps UTF-8 bytes as text and other bytes as base64, and reads both back exactly', () => {
    const text = Buffer.from('{"name":"Zoë 🏋️"}', 'utf8');
    const binary = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);

    expect(storedBody(text)).toEqual({ rawBody: '{"name":"Zoë 🏋️"}' });
    expect(storedBody(binary)).toEqual({ rawBodyBase64: binary.toString('base64') });
    expect(bodyBytesOf(storedBody(text))?.equals(text)).toBe(true);
    expect(bodyBytesOf(storedBody(binary))?.equals(binary)).toBe(true);
  });

  it('fits the largest accepted body in a row in either form, and leaves out a larger one with the reason', () => {
    const largestText = Buffer.alloc(256 * 1024, 'a');
    const largestBinary = Buffer.alloc(256 * 1024, 0xff);
    const tooLarge = Buffer.alloc(MAX_STORED_BODY_BYTES, 'a');

    expect(storedBodyBytes(storedBody(largestBinary))).toBeLessThanOrEqual(MAX_STORED_BODY_BYTES);
    expect(eventRowBody(largestText, true)).toHaveProperty('rawBody');
    expect(eventRowBody(largestBinary, true)).toHaveProperty('rawBodyBase64');
    expect(eventRowBody(tooLarge, true)).toEqual({ bodyNotKept: BODY_NOT_KEPT.tooLarge });
  });

  it('keeps nothing and says so when retention is off, and says nothing without a body', () => {
    expect(eventRowBody(Buffer.from('{}'), false)).toEqual({ bodyNotKept: BODY_NOT_KEPT.disabled });
    expect(eventRowBody(undefined, true)).toEqual({});
  });

  it('refuses a damaged base64 body rather than decode it to other bytes', () => {
    expect(() => bodyBytesOf({ rawBodyBase64: 'not base64!' })).toThrow('not base64');
    expect(bodyBytesOf({})).toBeUndefined();
  });
});
