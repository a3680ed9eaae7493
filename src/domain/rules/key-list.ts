/**
 * An intrusive doubly linked list of key windows, oldest first: the rule
 * engine's recency order. Each window carries its own `prev`/`next` and the
 * list it is on, so moving a window to the tail, unlinking it or taking the
 * head is O(1) and allocates nothing.
 *
 * The engine keeps two lists per rule:
 * - `active`: keys counting events, in order of their last event, so the head
 *   is the key that has been quiet longest (its window expires first);
 * - `cooling`: keys quiet after a firing, in order of firing, so (the cooldown
 *   being one per rule) the head's cooldown ends first.
 */
import type { KeyWindow } from './key-window.ts';

export class KeyList {
  head: KeyWindow | null = null;
  tail: KeyWindow | null = null;

  /** Appends `w`, which must be on no list. */
  push(w: KeyWindow): void {
    w.list = this;
    w.prev = this.tail;
    w.next = null;
    if (this.tail !== null) this.tail.next = w;
    else this.head = w;
    this.tail = w;
  }

  /** Removes `w`, which must be on this list. */
  unlink(w: KeyWindow): void {
    if (w.prev !== null) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = null;
    w.next = null;
    w.list = null;
  }

  /** Moves `w` (on this list) to the tail. */
  touch(w: KeyWindow): void {
    if (w.next === null) return; // already the tail
    this.unlink(w);
    this.push(w);
  }
}
