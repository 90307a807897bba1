import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../errors';

type Options = NonNullable<ParseArgsConfig['options']>;
// Named so the compiled declarations (npm run build) can spell the return type.
type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** `parseArgs` in strict mode, with its errors turned into usage errors that name the command. */
export function parseCommandArgs<const T extends Options>(
  argv: readonly string[],
  options: T,
  command: string,
): Parsed<T> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${message} (see fpt-webhooks ${command} --help)`);
  }
}
