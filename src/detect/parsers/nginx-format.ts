/**
 * An access log's own format string compiled to a list of steps: nginx
 * `log_format` (`$remote_addr - $remote_user [$time_local] "$request" …`)
 * or Apache `LogFormat` (`%h %l %u %t "%r" %>s %b`), or a preset name.
 * docs/log-sources.md lists the variables Firebreak reads; any other
 * variable is matched and ignored.
 *
 * A variable's value ends where the literal text after it starts (a quote
 * after a quoted value, skipping `\"`); the last one ends at the next space.
 * Presets whose fields after the byte count are optional (combined, main,
 * apache_combined) also read common-format lines that stop there.
 */

/** What a variable fills in. Seconds: with a fraction (nginx $request_time, Apache %T); Micros: Apache %D. */
export const Field = {
  Ignore: 0,
  Addr: 1,
  User: 2,
  TimeLocal: 3,
  TimeIso: 4,
  Request: 5,
  Method: 6,
  Uri: 7,
  Status: 8,
  Bytes: 9,
  UserAgent: 10,
  Xff: 11,
  Seconds: 12,
  Micros: 13,
} as const;
export type Field = (typeof Field)[keyof typeof Field];

export interface Step {
  /** Literal text before the variable ('' for none). */
  lit: string;
  field: Field;
  /** The variable's name as written (for messages). */
  name: string;
}

export interface CompiledFormat {
  /** The source string (after preset expansion). */
  text: string;
  steps: Step[];
  /** Literal text after the last variable. */
  tail: string;
  /** A line may end after this many steps (CLF common lines under a combined preset); = steps.length otherwise. */
  minSteps: number;
}

const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const APACHE_COMMON = '%h %l %u %t "%r" %>s %b';

/** Named formats `log_format` accepts. */
export const LOG_FORMAT_PRESETS: Record<string, string> = {
  combined: COMBINED,
  /** nginx's packaged nginx.conf `main`. */
  main: `${COMBINED} "$http_x_forwarded_for"`,
  combined_request_time: `${COMBINED} $request_time`,
  apache_common: APACHE_COMMON,
  apache_combined: `${APACHE_COMMON} "%{Referer}i" "%{User-agent}i"`,
};
const OPTIONAL_AFTER_BYTES = new Set(['combined', 'main', 'combined_request_time', 'apache_combined']);

const NGINX_VARS: Record<string, Field> = {
  remote_addr: Field.Addr,
  remote_user: Field.User,
  time_local: Field.TimeLocal,
  time_iso8601: Field.TimeIso,
  request: Field.Request,
  request_method: Field.Method,
  request_uri: Field.Uri,
  uri: Field.Uri,
  status: Field.Status,
  body_bytes_sent: Field.Bytes,
  bytes_sent: Field.Bytes,
  http_user_agent: Field.UserAgent,
  http_x_forwarded_for: Field.Xff,
  request_time: Field.Seconds,
};

/** Apache directives (without `%`, `<`/`>` modifiers removed) → field. */
const APACHE_VARS: Record<string, Field> = {
  h: Field.Addr,
  a: Field.Addr,
  u: Field.User,
  r: Field.Request,
  m: Field.Method,
  U: Field.Uri,
  s: Field.Status,
  b: Field.Bytes,
  B: Field.Bytes,
  D: Field.Micros,
  T: Field.Seconds,
  '{user-agent}i': Field.UserAgent,
  '{x-forwarded-for}i': Field.Xff,
};

/** Compiles a format string or preset name; throws Error with a precise message when it cannot be used. */
export function compileLogFormat(spec = 'combined'): CompiledFormat {
  const preset = LOG_FORMAT_PRESETS[spec];
  const text = preset ?? spec;
  const apache = !text.includes('$') && text.includes('%');
  const { steps, tail } = apache ? tokenizeApache(text) : tokenizeNginx(text);
  const fields = steps.map((s) => s.field);
  if (!fields.includes(Field.Addr)) throw new Error('the format has no client address ($remote_addr or %h)');
  if (!fields.includes(Field.TimeLocal) && !fields.includes(Field.TimeIso))
    throw new Error('the format has no time ($time_local, $time_iso8601 or %t)');
  if (!fields.includes(Field.Status)) throw new Error('the format has no status ($status or %>s)');
  for (let i = 1; i < steps.length; i++)
    if (steps[i]!.lit === '')
      throw new Error(`${steps[i - 1]!.name} and ${steps[i]!.name} have nothing between them: the line cannot be split`);
  const bytesAt = fields.indexOf(Field.Bytes);
  const minSteps = preset !== undefined && OPTIONAL_AFTER_BYTES.has(spec) && bytesAt >= 0 ? bytesAt + 1 : steps.length;
  return { text, steps, tail, minSteps };
}

function tokenizeNginx(text: string): { steps: Step[]; tail: string } {
  const steps: Step[] = [];
  let lit = '';
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c !== '$') {
      lit += c;
      i++;
      continue;
    }
    let name: string;
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) throw new Error(`unterminated \${ at character ${i + 1}`);
      name = text.slice(i + 2, close);
      i = close + 1;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(text.slice(i + 1));
      if (!m) throw new Error(`a lone $ at character ${i + 1}`);
      name = m[0];
      i += 1 + name.length;
    }
    steps.push({ lit, field: NGINX_VARS[name] ?? Field.Ignore, name: `$${name}` });
    lit = '';
  }
  return { steps, tail: lit };
}

function tokenizeApache(text: string): { steps: Step[]; tail: string } {
  const steps: Step[] = [];
  let lit = '';
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (text[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    const m = /^[<>]?(\{[^}]*\})?[<>]?([A-Za-z])/.exec(text.slice(i + 1));
    if (!m) throw new Error(`an unknown % directive at character ${i + 1}`);
    const arg = m[1] ?? '';
    const letter = m[2]!;
    i += 1 + m[0].length;
    if (letter === 't' && arg === '') {
      // %t is `[10/Oct/2026:13:55:36 +0200]`, brackets included.
      steps.push({ lit: `${lit}[`, field: Field.TimeLocal, name: '%t' });
      lit = ']';
      continue;
    }
    steps.push({ lit, field: APACHE_VARS[`${arg.toLowerCase()}${letter}`] ?? Field.Ignore, name: `%${m[0]}` });
    lit = '';
  }
  return { steps, tail: lit };
}
