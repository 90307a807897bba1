import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as runtime from '../../lambda/runtime';

const RUNTIME = path.resolve(__dirname, '../../lambda/runtime.ts');

/** Type-checks one handler module written against the runtime entry; returns the compiler's messages. */
function compile(source: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpt-runtime-'));
  try {
    const file = path.join(dir, 'fpt-handlers.ts');
    fs.writeFileSync(file, source.replace('RUNTIME', RUNTIME.replace(/\.ts$/, '')));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      types: ['node'],
      typeRoots: [path.resolve(__dirname, '../../node_modules/@types')],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const MODULE = (entries: string) => `
import type { DefaultHandler, EventHandlers } from 'RUNTIME';
const ignore = async () => {};
export const handlers: EventHandlers = { ${entries} };
export const defaultHandler: DefaultHandler = async () => {};
`;

describe('the runtime entry (fpt-webhook-receiver/runtime)', () => {
  test('exports the catalog and its guard for handler modules', () => {
    expect(runtime.CATALOG_EVENT_TYPES).toContain('contact.sub_group_changed');
    expect(runtime.isCatalogEventType('contact.created')).toBe(true);
    expect(runtime.isCatalogEventType('membership.created')).toBe(false);
  });

  test('compiles a handler module that routes every catalog event type', () => {
    const all = runtime.CATALOG_EVENT_TYPES.map((type) => `'${type}': ignore`).join(', ');

    expect(compile(MODULE(all))).toEqual([]);
  }, 60_000);

  test('fails to compile, naming the event type, when the routing table misses one the catalog has', () => {
    const allButOne = runtime.CATALOG_EVENT_TYPES.filter((type) => type !== 'contact.sub_group_changed')
      .map((type) => `'${type}': ignore`)
      .join(', ');

    const messages = compile(MODULE(allButOne));

    expect(messages.join('\n')).toMatch(
      /Property '"contact\.sub_group_changed"' is missing .* required in type 'EventHandlers'/,
    );
  }, 60_000);
});
