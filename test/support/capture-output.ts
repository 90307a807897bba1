/** Captures everything written to stdout and stderr (Powertools Logger and Metrics write there). */
export function captureOutput(): { text: () => string; lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
  );
  const text = () => chunks.join('');
  return {
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** The JSON objects among captured lines (Powertools logs and EMF); other output is ignored. */
export function jsonLines(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines
    .filter((line) => line.trim().startsWith('{'))
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** {@link jsonLines} of captured text. */
export function jsonObjects(text: string): Array<Record<string, unknown>> {
  return jsonLines(text.split('\n'));
}

/** EMF documents among captured lines. */
export function emfDocuments(lines: readonly string[]): Array<Record<string, unknown>> {
  return jsonLines(lines).filter((doc) => '_aws' in doc);
}
