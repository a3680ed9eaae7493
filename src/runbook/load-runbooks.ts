/**
 * Loads runbook files: the built-in pack (`<repo>/runbooks`) first, then the
 * user's `runbooks_dir`, whose files add runbooks or replace built-in ones of
 * the same `type`. Files are read in name order (`*.yaml`, `*.yml`), which is
 * the order the pack renders in; a user file that replaces a built-in runbook
 * keeps the built-in's position.
 *
 * Every problem in every file is collected and reported at once, each located
 * as `<file>:<line>:<col>` by mapping the zod issue path back to the YAML node.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { AppError, type ErrorDetail } from '../errors.ts';
import { checkRunbook, type Runbook, type RunbookProblem, type RunbookRefs } from '../domain/runbook.ts';
import { packagePath } from '../paths.ts';

/** Where to read runbooks from and which names they may refer to. */
export interface LoadRunbooksOptions extends RunbookRefs {
  /** The built-in pack; see builtinRunbooksDir(). */
  builtinDir: string;
  /** The user's directory (config `runbooks_dir`); must exist when given. */
  userDir?: string;
}

/** A validated runbook and the file it came from. */
export interface LoadedRunbook {
  runbook: Runbook;
  file: string;
  origin: 'builtin' | 'user';
}

/** Absolute path of the built-in pack, `<package root>/runbooks/`. */
export function builtinRunbooksDir(): string {
  return packagePath('runbooks') + path.sep;
}

/** Loads and validates every runbook; throws AppError('invalid') listing every problem. */
export function loadRunbooks(opts: LoadRunbooksOptions): Map<string, Runbook> {
  return new Map([...loadRunbookFiles(opts)].map(([type, loaded]) => [type, loaded.runbook]));
}

/** Like loadRunbooks, keeping the source file and origin of each runbook (for `runbooks show`). */
export function loadRunbookFiles(opts: LoadRunbooksOptions): Map<string, LoadedRunbook> {
  const out = new Map<string, LoadedRunbook>();
  const problems: ErrorDetail[] = [];
  const badFiles = new Set<string>();
  const dirs: [string, LoadedRunbook['origin']][] = [[opts.builtinDir, 'builtin']];
  // `runbooks_dir: ./runbooks` run from the repository is the pack itself: read it once.
  if (opts.userDir !== undefined && path.resolve(opts.userDir) !== path.resolve(opts.builtinDir)) dirs.push([opts.userDir, 'user']);

  for (const [dir, origin] of dirs) {
    const files = listRunbookFiles(dir, origin);
    // Invariant: within one directory a type is defined once; across
    // directories the user's definition wins.
    const seenHere = new Map<string, string>();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ path: file, message: `cannot read: ${(err as Error).message}` });
        badFiles.add(file);
        continue;
      }
      const res = parseRunbookText(file, text, opts);
      if (res.problems.length > 0 || !res.runbook) {
        problems.push(...res.problems);
        badFiles.add(file);
        continue;
      }
      const type = res.runbook.type;
      const earlier = seenHere.get(type);
      if (earlier !== undefined) {
        problems.push({ path: `${file}:${res.typeLine}`, message: `runbook type "${type}" is already defined in ${earlier}` });
        badFiles.add(file);
        continue;
      }
      seenHere.set(type, file);
      out.set(type, { runbook: res.runbook, file, origin });
    }
  }
  if (problems.length > 0) {
    throw new AppError('invalid', `invalid runbooks: ${problems.length} problem(s) in ${badFiles.size} file(s)`, { details: problems });
  }
  return out;
}

function listRunbookFiles(dir: string, origin: LoadedRunbook['origin']): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch (err) {
    const code = origin === 'user' ? 'invalid' : 'internal';
    throw new AppError(code, `runbooks directory ${dir} cannot be read: ${(err as Error).message}`, {
      cause: err,
      details: [{ path: dir, message: 'expected a directory of *.yaml runbook files' }],
    });
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

/**
 * Parses and validates one runbook file's text. Problems carry `file:line:col`.
 * `typeLine` is the `line:col` of the `type` key, for cross-file messages.
 */
export function parseRunbookText(
  file: string,
  text: string,
  refs: RunbookRefs = {},
): { runbook?: Runbook; problems: ErrorDetail[]; typeLine: string } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number): string => {
    const pos = lc.linePos(offset);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ path: at(e.pos[0]), message: `malformed YAML: ${e.message.split('\n')[0]!}` })),
      typeLine: '1:1',
    };
  }
  const typeLine = at(locate(doc, ['type'], true)).slice(file.length + 1);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ path: `${file}:1:1`, message: 'a runbook file must be a mapping (type, title, severity, ...)' }], typeLine };
  }
  const { runbook, problems } = checkRunbook(value, refs);
  return {
    runbook,
    problems: problems.map((p) => ({ path: at(locate(doc, p.path, p.atKey === true)), message: `${dotted(p)}: ${p.message}` })),
    typeLine,
  };
}

/** `immediate_actions[2].timeout`, so a message makes sense without opening the file. */
function dotted(p: RunbookProblem): string {
  // Unknown and missing keys name the key in the message already: show the parent.
  const segs = p.atKey || p.message.startsWith('missing required key') ? p.path.slice(0, -1) : p.path;
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out || '(file)';
}

/**
 * Offset of the node at `segments`: the key itself when `atKey`, else its
 * value. A path that does not exist in the document (a missing key) resolves
 * to the deepest ancestor that does, so the message points at the mapping
 * the key belongs in.
 */
function locate(doc: Document, segments: readonly (string | number)[], atKey: boolean): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === seg);
      if (!pair) break;
      if (last && atKey) return rangeStart(pair.key) ?? best;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      break;
    }
    const start = rangeStart(node);
    if (start === undefined) break;
    best = start;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
