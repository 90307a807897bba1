import { minimumUnreservedConcurrency, reservedConcurrencyProblem } from '../../lib/aws-quotas';

describe('reservedConcurrencyProblem', () => {
  it('accepts a reservation that leaves Lambda its 100 unreserved', () => {
    expect(reservedConcurrencyProblem(900, { limit: 1000, unreserved: 1000 })).toBeUndefined();
  });

  it('refuses one that leaves fewer than 100, naming the quota to raise and by how much', () => {
    expect(reservedConcurrencyProblem(901, { limit: 1000, unreserved: 1000 })).toBe(
      'verifierReservedConcurrency 901 would leave 99 unreserved, below Lambda\'s minimum of 100: ask AWS to raise the Lambda quota "Concurrent executions" (L-B99A9384) to at least 1001, or lower verifierReservedConcurrency',
    );
  });

  it('counts what other functions already reserve', () => {
    expect(reservedConcurrencyProblem(100, { limit: 1000, unreserved: 150 })).toContain('to at least 1050');
  });

  it('refuses any reservation on a new account whose quota is 10', () => {
    expect(minimumUnreservedConcurrency(10)).toBe(10);
    expect(reservedConcurrencyProblem(1, { limit: 10, unreserved: 10 })).toContain(
      "below Lambda's minimum of 10",
    );
  });
});
