import { FakeLedger } from '../../support/fake-ledger';
import { CONTRACT_OPTIONS, describeLedgerContract } from '../../support/ledger-contract';

// The same cases run against EventLedger on the emulator in test/integration/ledger-contract.test.ts.
let ledger: FakeLedger;
describeLedgerContract(
  'FakeLedger (in memory)',
  (options) => {
    const fake = new FakeLedger({ ...CONTRACT_OPTIONS, ...options });
    // Cases that ask for another ledger use it beside the default one, whose effects the count reads.
    if (options === undefined) ledger = fake;
    return fake;
  },
  () => ({
    tableName: 'effects',
    // Each committed counting effect on `pk` adds 1, as its ADD does on the real table.
    count: async (pk) => {
      const added = ledger.committedEffects
        .flatMap((commit) => commit.effects)
        .filter(
          (effect) =>
            effect.props.tableName === 'effects' && 'key' in effect.props && effect.props.key.pk === pk,
        );
      return added.length === 0 ? undefined : added.length;
    },
  }),
  () => async (eventId, request) => ledger.requestReplay(eventId, request),
);
