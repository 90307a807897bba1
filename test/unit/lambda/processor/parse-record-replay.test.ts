import type { SQSRecord } from 'aws-lambda';
import { parseRecord } from '../../../../lambda/processor/parse-record';
import { MESSAGE_ATTRIBUTES } from '../../../../lambda/shared/ledger-schema';
import { problemsOf } from '../../../support/problems';
import { makeEnvelope, makeRecord, SAMPLE_DATA } from './helpers';

const envelope = makeEnvelope('contact.updated', SAMPLE_DATA['contact.updated']);
const replayOf = (value: string): SQSRecord => makeRecord(envelope, { attributes: { replay: value } });

describe('parseRecord: the replay attribute', () => {
  it('reads the replay number of a replay message', () => {
    expect(parseRecord(replayOf('1')).replay).toBe(1);
    expect(parseRecord(replayOf('42')).replay).toBe(42);
  });

  it('has no replay number on a delivery from the verifier', () => {
    expect(parseRecord(makeRecord(envelope))).not.toHaveProperty('replay');
  });

  it.each(['0', '-1', '01', '1.5', '1e3', ' 1', 'one', '', '99999999999999999'])(
    'treats fpt-replay %j as a poison message, naming the attribute and not its value',
    (value) => {
      const problems = problemsOf(() => parseRecord(replayOf(value)));

      expect(problems).toEqual([`attribute ${MESSAGE_ATTRIBUTES.replay} must be a positive integer`]);
    },
  );

  it('treats an fpt-replay attribute without a string value as a poison message', () => {
    const record = makeRecord(envelope);
    record.messageAttributes[MESSAGE_ATTRIBUTES.replay] = {
      dataType: 'Binary',
      binaryValue: 'MQ==',
      stringListValues: [],
      binaryListValues: [],
    };

    expect(problemsOf(() => parseRecord(record))).toEqual([
      `attribute ${MESSAGE_ATTRIBUTES.replay} must be a positive integer`,
    ]);
  });
});
