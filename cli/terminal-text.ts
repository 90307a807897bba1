import { escapeControls } from '../local/terminal-text';
import type { Io } from './io';

/** The one escaping function, shared with `npm start`'s output (local/terminal-text.ts). */
export { escapeControls };

/** Each line of a possibly multi-line string through `escapeControls`; the line breaks stay. */
function escapeLines(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

/**
 * An Io whose every line is escaped before it reaches the terminal. The CLI's entry point wraps its Io
 * in it, so no command can print a control sequence, whatever it prints; commands still escape the
 * values they lay out in columns, so an embedded newline cannot forge a line either.
 */
export function terminalSafeIo(io: Io): Io {
  return {
    out: (line) => io.out(escapeLines(line)),
    err: (line) => io.err(escapeLines(line)),
    // Bytes are data, not lines: the underlying Io decides (processIo escapes them on a terminal).
    ...(io.writeOut !== undefined ? { writeOut: io.writeOut } : {}),
    ...(io.input !== undefined ? { input: io.input } : {}),
    ...(io.status !== undefined
      ? {
          status: (line: string | undefined) =>
            io.status?.(line === undefined ? undefined : escapeControls(line)),
        }
      : {}),
  };
}
