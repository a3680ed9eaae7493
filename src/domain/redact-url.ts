/**
 * The one redaction of URLs, for everything a URL can surface in: probe
 * `last_error` and targets in health, incident descriptions, notifications,
 * logs, CLI messages. Pure text work (no URL parsing, which would normalize
 * the rest of the text and refuse odd URLs): credentials in the authority
 * (`user:pw@`, `token@`) and the values of secret-looking query or fragment
 * parameters become `***`.
 */

/** Parameter names whose values are secrets (case-insensitive, also as suffix: `x_api_key`, `accessToken`). */
const SECRET_PARAM =
  /(?:api[_-]?key|apikey|token|key|password|passwd|pass|pwd|secret|sig|signature|auth|authorization|credential|credentials|session|code)$/i;

const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s"'<>`]*)/gi;

function redactParams(query: string): string {
  return query.replace(/([?&;#])([^=&;#]*)=([^&;#]*)/g, (m, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      /* keep the raw name */
    }
    return SECRET_PARAM.test(decoded) ? `${sep}${name}=***` : m;
  });
}

function redactOne(scheme: string, rest: string): string {
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : `***@${authority.slice(at + 1)}`;
  return `${scheme}${host}${redactParams(tail)}`;
}

/** One URL (or host:port) with its credentials and secret parameters replaced by `***`. */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]{1,20}:\/\/)(.*)$/is.exec(url);
  if (m) return redactOne(m[1]!, m[2]!);
  return redactSecrets(url);
}

/** Every URL inside free text (an error message, a description) redacted as redactUrl does. */
export function redactSecrets(text: string): string {
  const out = text.replace(URL_IN_TEXT, (_m, scheme: string, rest: string) => redactOne(scheme, rest));
  // A query string without its scheme (`GET /path?api_key=…` in a message).
  return out.includes('?') ? out.replace(/\?[^\s"'<>`]*/g, (q) => redactParams(q)) : out;
}
