import fc from 'fast-check';
import { escapeControls, terminalSafeIo } from '../../../cli/terminal-text';
import { captureIo, runCli } from '../../support/cli';
import { runs } from '../properties/arbitraries';

/** Written out range by range, not with terminal-text.ts's regex: what a terminal may act on. */
function isActive(char: string): boolean {
  const cp = char.codePointAt(0) as number;
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}
const activeIn = (text: string): string[] => [...text].filter(isActive);
/** Text biased towards the characters that matter: controls, C1, bidi, and ordinary text. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0x20 }).map((cp) => String.fromCodePoint(cp)),
    fc.integer({ min: 0x7f, max: 0xa0 }).map((cp) => String.fromCodePoint(cp)),
    fc.constantFrom(
      '\u061c',
      '\u200e',
      '\u200f',
      '\u2028',
      '\u2029',
      '\u202a',
      '\u202e',
      '\u2066',
      '\u2069',
      '\\',
    ),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
  ),
  maxLength: 40,
});

describe('escapeControls', () => {
  it('shows an OSC 52 clipboard write, a C1 CSI and a bidi override as text', () => {
    expect(escapeControls('a\u001b]52;c;ZXZpbA==\u0007b\u009b2J\u202ec\u007f')).toBe(
      'a\\u001b]52;c;ZXZpbA==\\u0007b\\u009b2J\\u202ec\\u007f',
    );
  });

  it('leaves ordinary text, accents, CJK and emoji as they are', () => {
    const text = 'contact.updated café 東京 🎉 ✓ ⚠';
    expect(escapeControls(text)).toBe(text);
  });

  it('leaves no character a terminal acts on, for any text', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(activeIn(escapeControls(text))).toEqual([]);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('changes nothing but the characters a terminal acts on, each shown as its code point', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const expected = [...text]
          .map((char) =>
            isActive(char) ? `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}` : char,
          )
          .join('');
        expect(escapeControls(text)).toBe(expected);
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('terminalSafeIo', () => {
  it('keeps any JSON exact: what is printed parses to the same value, with no character a terminal acts on', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostileText, (value, key) => {
        const captured = captureIo();
        const document = { [key]: value, text: key };
        terminalSafeIo(captured.io).out(JSON.stringify(document, null, 2));
        const printed = captured.out.join('\n');
        expect(printed.split('\n').flatMap(activeIn)).toEqual([]);
        expect(JSON.parse(printed)).toEqual(JSON.parse(JSON.stringify(document)));
      }),
      { numRuns: runs(500) },
    );
  });

  it('is what the CLI writes through: an escape sequence in an argument comes back escaped in the error', async () => {
    const result = await runCli(['events', 'get', '\u001b]52;c;ZXZpbA==\u0007', '--local']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('"\\u001b]52;c;ZXZpbA==\\u0007"');
    expect(activeIn(result.err)).toEqual([]);
  });
});
