/**
 * Scanned sshd lines (sshd-scan.ts) as typed arrays, so a worker thread can
 * hand a chunk's worth to the thread that keeps the state for the cost of a
 * transfer: no object per line crosses. Offsets are into the text of the
 * chunk's piece the line is in (read-chunks.ts `forEachText`); the bytes
 * travel with the records, and `pieces` says where each piece ends and how
 * many lines it holds. Reasons travel as indexes into a table that grows as
 * new reasons appear (`ScanBatch.reasons` holds the new ones).
 */
import { canonicalV4At, canonicalV6At } from '../../domain/ip.ts';
import { SshdScan } from './sshd-scan.ts';

const STRIDE = 12;
const F_OK = 1;
const F_UNPARSEABLE = 2;
const F_CLOSE = 4;
const F_CLASSIFIED = 8;
const F_FORGET = 16;
const F_GAINED = 32;
/** The address is written canonically (checked here, on the worker): the reader's thread just slices it. */
const F_CANONICAL = 64;

/** A chunk's scanned lines. */
export interface ScanBatch {
  /** Lines in the batch. */
  n: number;
  ints: Int32Array<ArrayBuffer>;
  ts: Float64Array<ArrayBuffer>;
  /** Reasons first seen in this batch, in index order after those of earlier batches. */
  reasons: string[];
  /** Per piece of the chunk's text, in order: the byte where it ends, then its number of lines. */
  pieces: number[];
}

/** Writes scans into batches; one writer per stream of batches. */
export class ScanWriter {
  private ints: Int32Array<ArrayBuffer> = new Int32Array(STRIDE * 1024);
  private ts: Float64Array<ArrayBuffer> = new Float64Array(1024);
  private n = 0;
  private readonly codes = new Map<string, number>([['', 0]]);
  private fresh: string[] = [];
  private pieces: number[] = [];
  private pieceStart = 0;
  private readonly spare: { ints: Int32Array<ArrayBuffer>; ts: Float64Array<ArrayBuffer> }[] = [];

  /** Line `s`, scanned from `text`. */
  push(s: SshdScan, text: string): void {
    if (this.n === this.ts.length) this.grow();
    const o = this.n * STRIDE;
    const v = this.ints;
    const r = s.match;
    if (!s.ok) {
      v[o] = s.skip === 'unparseable' ? F_UNPARSEABLE : 0;
      v[o + 1] = this.code(s.reason);
    } else {
      const canonical = s.classified && r.a >= 0 && (canonicalV4At(text, r.a, r.ae) >= 0 || canonicalV6At(text, r.a, r.ae));
      v[o] =
        F_OK |
        (s.close ? F_CLOSE : 0) |
        (s.classified ? F_CLASSIFIED : 0) |
        (r.forget ? F_FORGET : 0) |
        (r.gained ? F_GAINED : 0) |
        (canonical ? F_CANONICAL : 0);
      v[o + 1] = r.bad === '' ? 0 : this.code(r.bad);
      v[o + 2] = s.key;
      v[o + 3] = s.repeat;
      v[o + 4] = s.clamped;
      v[o + 5] = r.kind;
      v[o + 6] = r.a;
      v[o + 7] = r.ae;
      v[o + 8] = r.u;
      v[o + 9] = r.ue;
      v[o + 10] = s.m;
      v[o + 11] = s.end;
      this.ts[this.n] = s.tsUs;
    }
    this.n++;
  }

  /** A line longer than any log writes: skipped before scanning. */
  pushSkip(reason: string): void {
    if (this.n === this.ts.length) this.grow();
    this.ints[this.n * STRIDE] = F_UNPARSEABLE;
    this.ints[this.n * STRIDE + 1] = this.code(reason);
    this.n++;
  }

  /** The lines pushed since the last piece ended are those of a piece whose bytes end at `byteEnd`. */
  endPiece(byteEnd: number): void {
    this.pieces.push(byteEnd, this.n - this.pieceStart);
    this.pieceStart = this.n;
  }

  /** The batch so far (its arrays are the caller's to transfer); the writer starts a new one. */
  take(): ScanBatch {
    const b: ScanBatch = { n: this.n, ints: this.ints, ts: this.ts, reasons: this.fresh, pieces: this.pieces };
    const spare = this.spare.pop();
    this.ints = spare?.ints ?? new Int32Array(this.ints.length);
    this.ts = spare?.ts ?? new Float64Array(this.ts.length);
    this.n = 0;
    this.fresh = [];
    this.pieces = [];
    this.pieceStart = 0;
    return b;
  }

  /** Gives back the arrays of a batch that was read, to be written again (no allocation per batch). */
  recycle(ints: Int32Array<ArrayBuffer>, ts: Float64Array<ArrayBuffer>): void {
    if (ints.length === ts.length * STRIDE) this.spare.push({ ints, ts });
  }

  private code(reason: string): number {
    let c = this.codes.get(reason);
    if (c === undefined) {
      c = this.codes.size;
      this.codes.set(reason, c);
      this.fresh.push(reason);
    }
    return c;
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    this.ints = ints;
    this.ts = ts;
  }
}

/** Reads scans back from batches, in the order written. */
export class ScanReader {
  private readonly reasons: string[] = [''];

  /** Takes a batch's new reasons; call once per batch, before reading its lines. */
  begin(b: ScanBatch): void {
    for (const r of b.reasons) this.reasons.push(r);
  }

  /** Line `i` of `b` into `s`. */
  read(b: ScanBatch, i: number, s: SshdScan): void {
    const o = i * STRIDE;
    const v = b.ints;
    const f = v[o]!;
    const r = s.match;
    if ((f & F_OK) === 0) {
      s.ok = false;
      s.skip = f & F_UNPARSEABLE ? 'unparseable' : 'ignored';
      s.reason = this.reasons[v[o + 1]!]!;
      s.repeat = 1;
      s.clamped = 0;
      return;
    }
    s.ok = true;
    s.close = (f & F_CLOSE) !== 0;
    s.classified = (f & F_CLASSIFIED) !== 0;
    r.forget = (f & F_FORGET) !== 0;
    r.gained = (f & F_GAINED) !== 0;
    s.canonical = (f & F_CANONICAL) !== 0;
    r.bad = this.reasons[v[o + 1]!]!;
    s.key = v[o + 2]!;
    s.repeat = v[o + 3]!;
    s.clamped = v[o + 4]!;
    r.kind = v[o + 5]!;
    r.a = v[o + 6]!;
    r.ae = v[o + 7]!;
    r.u = v[o + 8]!;
    r.ue = v[o + 9]!;
    s.m = v[o + 10]!;
    s.end = v[o + 11]!;
    s.tsUs = b.ts[i]!;
  }
}
