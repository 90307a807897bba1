/**
 * Characters a terminal may act on instead of showing: C0 controls (ESC starts every escape sequence,
 * so `ESC ] 52 ;` can write the clipboard), DEL, C1 controls (U+009B is a one-character CSI on some
 * terminals), the line and paragraph separators, and the bidi controls that reorder what is shown
 * (Trojan Source, CVE-2021-42574).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's purpose.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as the CLI may print it: every character of {@link UNSAFE} becomes its `\uXXXX` escape, so
 * stored or received data is shown, never run. The same escape is JSON's, so text already in JSON
 * (`--json`) parses to the same value after it.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
