/**
 * forEachText cuts a chunk of whole lines into small strings at line ends: together they are the chunk's
 * text, each ends after a line feed (or at the chunk's end), none exceeds TEXT_PIECE bytes unless one
 * line is longer, and the same bytes are always cut the same way (a scan worker and the thread reading
 * its offsets each cut them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLine, forEachText, TEXT_PIECE } from './read-chunks.ts';

function pieces(bytes: Buffer): { text: string; byteEnd: number }[] {
  const out: { text: string; byteEnd: number }[] = [];
  forEachText(bytes, (text, byteEnd) => out.push({ text, byteEnd }));
  return out;
}

test('pieces end at line feeds, stay within TEXT_PIECE and make up the whole text', () => {
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `Mar  1 00:00:${String(i % 60).padStart(2, '0')} web1 sshd[${i}]: line ${'x'.repeat(i % 97)}`,
  );
  const text = lines.join('\n') + '\n' + 'a last line without its newline';
  const bytes = Buffer.from(text);
  const got = pieces(bytes);
  assert.ok(got.length > 4, `several pieces (${got.length})`);
  let start = 0;
  for (const p of got) {
    assert.ok(p.byteEnd - start <= TEXT_PIECE, `a piece of ${p.byteEnd - start} bytes`);
    assert.ok(p.byteEnd === bytes.length || bytes[p.byteEnd - 1] === 10, 'a piece ends after a line feed');
    start = p.byteEnd;
  }
  assert.equal(start, bytes.length);
  assert.equal(got.map((p) => p.text).join(''), text);
  assert.deepEqual(pieces(bytes), got, 'the same bytes are cut the same way');
});

test('a line longer than a piece is a piece of its own, and UTF-8 text decodes as UTF-8', () => {
  const long = 'é'.repeat(TEXT_PIECE); // two bytes a character: twice a piece
  const text = `short ünïcode line\n${long}\nafter\n`;
  const bytes = Buffer.from(text, 'utf8');
  const got = pieces(bytes);
  assert.deepEqual(
    got.map((p) => p.text),
    ['short ünïcode line\n', `${long}\n`, 'after\n'],
  );
  const lines: string[] = [];
  for (const p of got) forEachLine(p.text, (b, e) => lines.push(p.text.slice(b, e)));
  assert.deepEqual(lines, ['short ünïcode line', long, 'after']);
});

test('an empty chunk has no pieces; CR LF line ends stay in their piece', () => {
  assert.deepEqual(pieces(Buffer.alloc(0)), []);
  const got = pieces(Buffer.from('a\r\nb\r\r\n'));
  assert.deepEqual(got, [{ text: 'a\r\nb\r\r\n', byteEnd: 7 }]);
});
