/**
 * Reads the YAML configuration file into plain data, turning every way it can
 * fail into AppError('invalid') that names the file (the CLI exits 2 with it):
 * unreadable, not YAML (with line and column), an alias bomb, too big, or not
 * a mapping at the top.
 *
 * Alias bombs: YAML aliases can expand a 1 KB file into gigabytes
 * ("billion laughs"). The yaml package stops expanding after `maxAliasCount`
 * (we keep its default, 100) by throwing a plain ReferenceError, which used to
 * escape as an internal error with exit 1 and no file name.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter } from 'yaml';
import { AppError } from './errors.ts';

/**
 * Generous: allowlists of a few hundred thousand ranges make files of ~6 MB.
 * Beyond this it is a mistake (or hostile), and parsing it would take minutes.
 */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
/** Aliases the file may expand (yaml's default); real configs use a handful. */
export const MAX_ALIAS_COUNT = 100;

/** The file's top-level mapping, or `{}` for an empty file. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('invalid', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.length > MAX_CONFIG_BYTES) {
    throw new AppError('invalid', `config file ${file} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new AppError('invalid', `config file ${file} is not valid YAML`, {
      details: doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { path: `${file}:${pos.line}:${pos.col}`, message: e.message.split('\n')[0]! };
      }),
    });
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // ReferenceError from the alias guard (or an unresolvable alias): the file's fault.
    throw new AppError('invalid', `config file ${file} cannot be read: ${(err as Error).message}`, {
      cause: err,
      details: [{ path: file, message: `${(err as Error).message} (at most ${MAX_ALIAS_COUNT} alias expansions)` }],
    });
  }
  if (js === null || js === undefined) return {};
  if (typeof js !== 'object' || Array.isArray(js)) throw new AppError('invalid', `config file ${file} must be a mapping of keys`);
  return js as Record<string, unknown>;
}
