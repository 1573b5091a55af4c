/**
 * An intrusive doubly linked list ordered by recency (head = most recent), with the bytes of
 * its members: the read buffer keeps two of them (the main LRU and the probation of consumed
 * stream blocks) and moves entries between them in O(1).
 */

/** A member of at most one {@link RecencyList} at a time. */
export interface RecencyNode<T extends RecencyNode<T>> {
  prev: T | undefined
  next: T | undefined
  /** The list holding the node, if any. */
  list: RecencyList<T> | undefined
  /** Bytes the node counts for. */
  readonly size: number
}

/** See the module comment. */
export class RecencyList<T extends RecencyNode<T>> {
  #head: T | undefined
  #tail: T | undefined
  #count = 0
  #bytes = 0

  /** The least recent member. */
  get tail(): T | undefined {
    return this.#tail
  }

  /** Members now. */
  get count(): number {
    return this.#count
  }

  /** Sum of the members' sizes. */
  get bytes(): number {
    return this.#bytes
  }

  /** Puts `node` at the head, taking it out of the list it was in. */
  pushHead(node: T): void {
    if (node.list === this && this.#head === node) return
    node.list?.remove(node)
    node.prev = undefined
    node.next = this.#head
    if (this.#head !== undefined) this.#head.prev = node
    this.#head = node
    if (this.#tail === undefined) this.#tail = node
    node.list = this
    this.#count++
    this.#bytes += node.size
  }

  /** Takes `node` out (it must be a member). */
  remove(node: T): void {
    if (node.list !== this) throw new Error('recency list: not a member')
    if (node.prev !== undefined) node.prev.next = node.next
    else this.#head = node.next
    if (node.next !== undefined) node.next.prev = node.prev
    else this.#tail = node.prev
    node.prev = undefined
    node.next = undefined
    node.list = undefined
    this.#count--
    this.#bytes -= node.size
  }

  /** Forgets every member (their links are left as they are: drop the nodes too). */
  clear(): void {
    this.#head = undefined
    this.#tail = undefined
    this.#count = 0
    this.#bytes = 0
  }
}
