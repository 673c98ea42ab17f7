package article

import (
	"runtime"
)

// fileJob is one file to load: read and parsed by a worker while a walk
// goes on, or in place (a file named directly, a load with Raw).
type fileJob struct {
	path, real, id, prefix string

	done     chan struct{}
	tooLarge bool
	err      error
	panicked any // what Parse panicked with, raised again by flush
	arts     []Article
	probs    []Problem
}

// queued is a file in walk order, or a problem met between files.
type queued struct {
	job     *fileJob
	problem *Problem
}

// run reads the file (at most maxBytes of it), hands its bytes to raw when
// raw is set, and parses it.
func (j *fileJob) run(maxBytes int64, raw func(source, id string, data []byte)) {
	defer close(j.done)
	defer func() {
		// Raised again on the loading goroutine (by finish), as when
		// that goroutine parses.
		j.panicked = recover()
	}()
	var data []byte
	data, j.tooLarge, j.err = readFile(j.path, maxBytes)
	if j.err != nil || j.tooLarge {
		return
	}
	if raw != nil {
		raw(j.path, j.id, data)
	}
	// Parse fails only for an unknown format, and "" is always known.
	j.arts, j.probs, j.err = Parse(j.path, j.id, data, "")
}

// parseLater hands j to the workers, starting them on first use, and
// queues it in walk order.
func (l *loader) parseLater(j *fileJob) {
	if l.jobs == nil {
		n := runtime.GOMAXPROCS(0)
		l.jobs = make(chan *fileJob, 4*n)
		for range n {
			l.workers.Go(func() {
				for j := range l.jobs {
					j.run(l.maxBytes, nil)
				}
			})
		}
	}
	if l.pending == nil {
		l.pending = map[string]*fileJob{}
	}
	l.pending[j.real] = j
	l.queue = append(l.queue, queued{job: j})
	l.jobs <- j
}

// settle waits for j and, when its file could not be read, forgets that
// it was loaded (as the walk reading each file itself never recorded it),
// so that an alias of it is read in turn.
func (l *loader) settle(j *fileJob) {
	<-j.done
	if l.pending[j.real] != j {
		return
	}
	delete(l.pending, j.real)
	if (j.err != nil || j.tooLarge) && l.files[j.real] == j.path {
		delete(l.files, j.real)
	}
}

// flush adds what the workers made of the queued files, and the problems
// met between them, in walk order: what a walk that read and parsed each
// file itself would have added.
func (l *loader) flush() {
	q := l.queue
	l.queue = nil
	for _, it := range q {
		if it.problem != nil {
			l.res.Problems = append(l.res.Problems, *it.problem)
			continue
		}
		l.settle(it.job)
		l.finish(it.job)
	}
}

// finish adds what j made of its file, or the problem that stopped it.
func (l *loader) finish(j *fileJob) {
	if j.panicked != nil {
		panic(j.panicked)
	}
	switch {
	case j.err != nil:
		l.problem(j.path, KindError, "cannot read: %v", unwrapPath(j.err))
	case j.tooLarge:
		l.problem(j.path, KindSkipped, "file too large: more than %d bytes", l.maxBytes)
	default:
		l.add(j.arts, j.probs, j.id, j.prefix)
	}
}

// stopWorkers ends the workers once the queue is flushed.
func (l *loader) stopWorkers() {
	if l.jobs != nil {
		close(l.jobs)
		l.workers.Wait()
		l.jobs = nil
	}
}
