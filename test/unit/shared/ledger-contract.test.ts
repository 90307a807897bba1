import { FakeLedger } from '../../support/fake-ledger';
import { CONTRACT_OPTIONS, describeLedgerContract } from '../../support/ledger-contract';

// The same cases run against EventLedger on the emulator in test/integration/ledger-contract.test.ts.
describeLedgerContract('FakeLedger (in memory)', () => new FakeLedger(CONTRACT_OPTIONS));
