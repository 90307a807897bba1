import { createHash } from 'node:crypto';
import { parseRecord } from '../../../../lambda/processor/parse-record';
import { encodeMessageBody } from '../../../../lambda/shared/queue-message';
import { problemsOf } from '../../../support/problems';
import { makeEnvelope, makeRecord, SAMPLE_DATA } from './helpers';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('parseRecord: the body as the verifier encoded it', () => {
  const envelope = makeEnvelope('contact.updated', {
    ...SAMPLE_DATA['contact.updated'],
    note: 'a\uFFFFb\uFFFE',
  });
  const signed = JSON.stringify(envelope);

  it('decodes a base64 body flagged by fpt-body-encoding and gives the data as signed', () => {
    const message = encodeMessageBody(signed, sha256(signed));

    const parsed = parseRecord(
      makeRecord(envelope, {
        body: message.body,
        attributes: { bodyEncoding: 'base64', bodySha256: sha256(signed) },
      }),
    );

    expect(parsed.envelope.data).toEqual({ ...SAMPLE_DATA['contact.updated'], note: 'a\uFFFFb\uFFFE' });
  });

  it('reads a plain body without the new attributes, as queued by earlier versions', () => {
    const plain = makeEnvelope('contact.created', SAMPLE_DATA['contact.created']);

    expect(parseRecord(makeRecord(plain)).envelope.data).toEqual(SAMPLE_DATA['contact.created']);
  });

  it('treats a body SQS altered (U+FFFF replaced by U+FFFD) as a poison message, never as the event', () => {
    const altered = signed.replaceAll('\uFFFF', '\uFFFD').replaceAll('\uFFFE', '\uFFFD');

    const problems = problemsOf(() =>
      parseRecord(makeRecord(envelope, { body: altered, attributes: { bodySha256: sha256(signed) } })),
    );

    expect(problems).toEqual(['body does not match attribute fpt-body-sha256']);
  });

  it('treats an unknown body encoding as a poison message', () => {
    const problems = problemsOf(() =>
      parseRecord(makeRecord(envelope, { body: signed, attributes: { bodyEncoding: 'zstd' } })),
    );

    expect(problems).toEqual(['attribute fpt-body-encoding names an unknown encoding']);
  });
});
