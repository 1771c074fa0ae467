/// A FIFO bounded by element count and by bytes, which makes room by dropping its **oldest** elements.
///
/// Why drop-oldest: the queue holds messages to one peer that is slow or unreachable. Raft tolerates the loss of
/// any message, and when the peer comes back the newest messages (current term, latest commit index, latest
/// heartbeat) are the useful ones; stale AppendEntries would be rejected or re-sent anyway. Dropping the newest
/// instead would freeze the peer's view at the moment it fell behind.
///
/// Guarantees: after `enqueue`, `count <= maximumCount` and `byteCount <= max(maximumBytes, newest element size)`;
/// elements leave in insertion order. A value type; the owner confines it (the transport's event loop).
struct OutboundQueue<Element> {
    private var elements: [(element: Element, size: Int)] = []
    private var head = 0
    let maximumCount: Int
    let maximumBytes: Int
    private(set) var byteCount = 0

    init(maximumCount: Int, maximumBytes: Int) {
        self.maximumCount = max(1, maximumCount)
        self.maximumBytes = max(1, maximumBytes)
    }

    var count: Int { elements.count - head }
    var isEmpty: Bool { count == 0 }

    /// Appends `element`; returns the elements dropped (oldest first) to make room.
    mutating func enqueue(_ element: Element, size: Int) -> [Element] {
        var dropped: [Element] = []
        while !isEmpty && (count + 1 > maximumCount || byteCount + size > maximumBytes) {
            if let oldest = popFirst() { dropped.append(oldest) }
        }
        elements.append((element, size))
        byteCount += size
        return dropped
    }

    /// Removes and returns the oldest element.
    mutating func popFirst() -> Element? {
        guard head < elements.count else { return nil }
        let entry = elements[head]
        head += 1
        byteCount -= entry.size
        if head > 64 && head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return entry.element
    }

    /// Removes everything; returns the removed elements, oldest first.
    mutating func removeAll() -> [Element] {
        var removed: [Element] = []
        while let element = popFirst() { removed.append(element) }
        return removed
    }
}
