package tcpstream

// links are a stream's place in one intrusive list.
type links struct {
	prev, next *stream
	in         bool
}

// list is an intrusive doubly linked list of streams, ordered by last activity (the
// front is the least recently active). A stream is in at most one of the open and closed
// lists (through stream.lru) and at most once in the memory list (through stream.memq).
type list struct {
	head, tail *stream
	memory     bool // use stream.memq instead of stream.lru
}

func (l *list) links(s *stream) *links {
	if l.memory {
		return &s.memq
	}
	return &s.lru
}

func (l *list) pushBack(s *stream) {
	k := l.links(s)
	k.prev, k.next, k.in = l.tail, nil, true
	if l.tail != nil {
		l.links(l.tail).next = s
	} else {
		l.head = s
	}
	l.tail = s
}

func (l *list) remove(s *stream) {
	k := l.links(s)
	if !k.in {
		return
	}
	if k.prev != nil {
		l.links(k.prev).next = k.next
	} else {
		l.head = k.next
	}
	if k.next != nil {
		l.links(k.next).prev = k.prev
	} else {
		l.tail = k.prev
	}
	*k = links{}
}

func (l *list) moveToBack(s *stream) {
	if l.tail == s {
		return
	}
	l.remove(s)
	l.pushBack(s)
}

// holeHeap is a min-heap of the streams that wait for missing bytes, ordered by the
// packet time at which they started waiting (stream.holeAt). It implements
// container/heap.Interface.
type holeHeap []*stream

func (h holeHeap) Len() int           { return len(h) }
func (h holeHeap) Less(i, j int) bool { return h[i].holeAt < h[j].holeAt }
func (h holeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}

func (h *holeHeap) Push(x any) {
	s := x.(*stream)
	s.heapIdx = len(*h)
	*h = append(*h, s)
}

func (h *holeHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.heapIdx = -1
	return s
}
