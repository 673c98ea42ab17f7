package article

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// DefaultMaxFileBytes is the size above which [Load] skips a file when
// [LoadOptions.MaxFileBytes] is 0: 32 MiB.
const DefaultMaxFileBytes int64 = 32 << 20

// maxWalkDepth bounds directory nesting, a last guard against loops that
// symlink resolution cannot see (bind mounts).
const maxWalkDepth = 256

// DefaultInclude returns the patterns [Load] includes when
// [LoadOptions.Include] is empty: every file in a supported format. The
// slice is new on every call.
func DefaultInclude() []string {
	return []string{"*.txt", "*.md", "*.markdown", "*.html", "*.htm", "*.json", "*.jsonl", "*.ndjson", "*.pdf", "*.docx", "*.epub"}
}

// LoadOptions select and limit the files [Load] reads.
type LoadOptions struct {
	// Include and Exclude are glob patterns (see below) that select the files
	// of a directory walk; a file is loaded when it matches an Include
	// pattern and no Exclude pattern, and a directory matching an Exclude
	// pattern is not entered. Include defaults to [DefaultInclude]. Files
	// named directly in Load's paths are always loaded.
	//
	// Patterns match the slash-separated path relative to the directory
	// root. "*" matches any characters but "/", "?" one, "[...]" a class,
	// and a whole segment "**" any number of directories. A pattern without
	// "/" matches the base name at any depth ("*.md"); one with "/" matches
	// the whole relative path ("politics/*.txt", "drafts/**", "**/old/*"),
	// and a leading "/" anchors a name at the root ("/README.md").
	Include, Exclude []string
	// MaxFileBytes is the largest file loaded, in bytes; larger files are
	// skipped with a Problem. 0 means DefaultMaxFileBytes, negative no limit.
	MaxFileBytes int64
	// Raw, when set, receives each file's bytes as read, with the source
	// and id Parse is given, before they are parsed: what a client sends a
	// server that parses them the same way (`index --server`).
	Raw func(source, id string, data []byte)
	// Only, when set, limits the walk of a directory to these paths under
	// it (files, or directories with what is under them), each as the walk
	// spells it (the directory's path joined with the names under it):
	// what changed under a watched folder, loaded with the IDs and
	// patterns of the whole folder. The walk then reports no empty folder
	// and no unmatched Include.
	Only []string
}

// Result is what [Load] read.
type Result struct {
	// Articles in load order: paths in the order given, directory entries
	// sorted by name, JSON objects in file order. IDs are unique.
	Articles []Article
	// Problems with inputs that did not stop the load, in the order met.
	Problems []Problem
	// UnmatchedIncludes are the [LoadOptions.Include] patterns that matched
	// no file in any directory walked (e.g. "*.{md,html}": braces are not
	// glob syntax here).
	UnmatchedIncludes []string
	// LeftOut counts, by lower-case extension ("" for none), the regular
	// files of the directories walked that are in no format Load reads
	// (a PDF, a spreadsheet), when [LoadOptions.Include] is the default:
	// skipped without a Problem each, they are worth a count.
	LeftOut map[string]int
}

// Load reads the articles in paths: files, directories (walked recursively in
// name order; names starting with "." are skipped, symlinks followed, each
// directory and file read once) and "-" for stdin, whose format is detected
// from its content. Files in a directory are selected by opt.Include and
// opt.Exclude; see [Parse] for formats.
//
// Article IDs are stable across runs. A file found under a directory root has
// the slash-separated path relative to that root ("politics/12.txt"); a file
// named directly has its base name; stdin is "stdin"; a JSON object has its
// "id" or "_id", else the file's ID + "#" + its line (JSON Lines) or index
// (JSON). When an ID is already taken by an earlier article (two roots both
// holding "a.txt", or a JSON id repeated), the later article is renamed and a
// KindRepaired Problem says so: a path ID gets the base name of its root
// directory (or of the directory holding a file named directly) in front
// ("b/a.txt" for roots a and b), and if that is taken too, or the ID came
// from JSON, "~2", "~3"... is appended. Order of paths thus decides which
// article keeps the plain ID.
//
// Bad input never stops the load: it is reported in Result.Problems. Load
// returns an error only when a path given does not exist or cannot be read,
// an Include or Exclude pattern is malformed, stdin is named but nil or fails,
// or ctx is done; the Result then holds what was loaded so far.
func Load(ctx context.Context, paths []string, stdin io.Reader, opt LoadOptions) (Result, error) {
	include := opt.Include
	if len(include) == 0 {
		include = DefaultInclude()
	}
	walked := false
	l := &loader{
		ctx:      ctx,
		maxBytes: opt.MaxFileBytes,
		raw:      opt.Raw,
		only:     opt.Only,
		ids:      map[string]string{},
		files:    map[string]string{},
		dirs:     map[string]string{},
	}
	if l.maxBytes == 0 {
		l.maxBytes = DefaultMaxFileBytes
	}
	defer l.stopWorkers()
	var err error
	if l.include, err = compileGlobs(include); err != nil {
		return Result{}, fmt.Errorf("load: include: %w", err)
	}
	if len(opt.Include) == 0 {
		for i := range l.include {
			l.include[i].fold = true
		}
	}
	l.countLeftOut = len(opt.Include) == 0
	l.includeHits = make([]int, len(l.include))
	if l.exclude, err = compileGlobs(opt.Exclude); err != nil {
		return Result{}, fmt.Errorf("load: exclude: %w", err)
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return l.res, fmt.Errorf("load %s: %w", p, err)
		}
		if p == "-" {
			l.flush()
			if err := l.loadStdin(stdin); err != nil {
				return l.res, err
			}
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return l.res, fmt.Errorf("load %s: %w", p, err)
		}
		if fi.IsDir() {
			walked = true
			err = l.walkRoot(p)
		} else {
			l.flush() // the files before it keep their ids
			err = l.loadFile(p, "", filepath.Base(p), parentName(p), fi, true)
		}
		if err != nil {
			l.flush()
			return l.res, err
		}
	}
	l.flush()
	if walked && len(opt.Include) > 0 && opt.Only == nil {
		for i, n := range l.includeHits {
			if n == 0 {
				l.res.UnmatchedIncludes = append(l.res.UnmatchedIncludes, opt.Include[i])
			}
		}
	}
	return l.res, nil
}

// loader holds the state of one Load call.
type loader struct {
	ctx              context.Context
	include, exclude []glob
	maxBytes         int64 // negative: no limit
	raw              func(source, id string, data []byte)
	only             []string // LoadOptions.Only
	res              Result
	ids              map[string]string // article ID -> source of the article holding it
	files            map[string]string // resolved path of a loaded file -> its source
	dirs             map[string]string // resolved path of a walked directory -> its path
	stdinDone        bool
	// Files found by walking a directory are read and parsed by workers
	// (see parallel.go) while the walk goes on; queue holds them, and the
	// problems met meanwhile, in walk order, until flush adds them.
	jobs         chan *fileJob
	workers      sync.WaitGroup
	queue        []queued
	pending      map[string]*fileJob // by resolved path, until settled
	includeHits  []int               // files each include pattern matched
	filesSeen    int                 // files selected by the patterns so far
	countLeftOut bool                // count files the default patterns leave out
}

func (l *loader) problem(source, kind, format string, args ...any) {
	p := Problem{Source: source, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	if len(l.queue) > 0 {
		l.queue = append(l.queue, queued{problem: &p}) // after the files before it
		return
	}
	l.res.Problems = append(l.res.Problems, p)
}

// parentName returns the base name of the directory holding file p.
func parentName(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return rootName(filepath.Dir(abs))
}

// rootName returns the base name of directory dir, "" for a file system root.
func rootName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	b := filepath.Base(abs)
	if b == string(filepath.Separator) || b == "." || strings.HasSuffix(b, ":"+string(filepath.Separator)) {
		return ""
	}
	return b
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	return p
}

// walkRoot loads the files under directory root.
func (l *loader) walkRoot(root string) error {
	real := resolve(root)
	if prev, ok := l.dirs[real]; ok {
		l.problem(root, KindSkipped, "directory already loaded as %s", prev)
		return nil
	}
	l.dirs[real] = root
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("load %s: %w", root, err)
	}
	before := l.filesSeen
	if err := l.walkDir(root, real, "", entries, rootName(root), 0); err != nil {
		return err
	}
	l.flush() // the problem below comes after the root's files
	if l.filesSeen == before && l.only == nil {
		pats := make([]string, len(l.include))
		for i, g := range l.include {
			pats[i] = g.pattern
		}
		l.problem(root, KindEmpty, "no files to load: none matches %s", strings.Join(pats, " "))
	}
	return nil
}

// walkDir loads the entries of directory dir, whose path relative to the root
// is rel ("" for the root) and whose resolved path (see resolve) is real. It
// returns an error only when ctx is done.
func (l *loader) walkDir(dir, real, rel string, entries []os.DirEntry, prefix string, depth int) error {
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(dir, name)
		if l.only != nil && !reaches(l.only, full) {
			continue
		}
		r := name
		if rel != "" {
			r = rel + "/" + name
		}
		if err := l.ctx.Err(); err != nil {
			return fmt.Errorf("load %s: %w", full, err)
		}
		mode := e.Type()
		var info fs.FileInfo
		if mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(full)
			if err != nil {
				if matchAny(l.include, r) && !matchAny(l.exclude, r) {
					l.problem(full, KindError, "broken symlink: %v", unwrapPath(err))
				}
				continue
			}
			info, mode = fi, fi.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if matchAny(l.exclude, r) {
				continue
			}
			real := resolve(full)
			if prev, ok := l.dirs[real]; ok {
				l.problem(full, KindSkipped, "directory already loaded as %s (symlink loop or alias)", prev)
				continue
			}
			if depth+1 >= maxWalkDepth {
				l.problem(full, KindSkipped, "directory nested deeper than %d levels", maxWalkDepth)
				continue
			}
			l.dirs[real] = full
			sub, err := os.ReadDir(full)
			if err != nil {
				l.problem(full, KindError, "cannot read directory: %v", unwrapPath(err))
				if len(sub) == 0 {
					continue
				}
			}
			if err := l.walkDir(full, real, r, sub, prefix, depth+1); err != nil {
				return err
			}
		case !l.included(r):
			if l.countLeftOut && mode.IsRegular() && !matchAny(l.exclude, r) {
				if l.res.LeftOut == nil {
					l.res.LeftOut = map[string]int{}
				}
				l.res.LeftOut[strings.ToLower(filepath.Ext(name))]++
			}
		case matchAny(l.exclude, r):
		case mode.IsRegular():
			l.filesSeen++
			if info == nil {
				fi, err := e.Info()
				if err != nil {
					l.problem(full, KindError, "cannot stat: %v", unwrapPath(err))
					continue
				}
				info = fi
			}
			// A file that is no symlink resolves to its name in its
			// directory's resolved path: no need to walk its path again
			// (a file system call per directory in it).
			realFile := ""
			if e.Type()&fs.ModeSymlink == 0 {
				realFile = filepath.Join(real, name)
			}
			if err := l.loadFile(full, realFile, r, prefix, info, false); err != nil {
				return err
			}
		default:
			l.problem(full, KindSkipped, "not a regular file")
		}
	}
	return nil
}

// reaches reports whether path is one of paths, under one, or a directory
// above one (the walk must enter it to get there).
func reaches(paths []string, path string) bool {
	for _, p := range paths {
		if Within(path, p) || under(p, path) {
			return true
		}
	}
	return false
}

// under reports whether path lies inside directory dir.
func under(path, dir string) bool {
	return len(path) > len(dir) && path[len(dir)] == filepath.Separator && path[:len(dir)] == dir
}

// Within reports whether path is dir or lies inside it (paths as
// filepath.Clean leaves them).
func Within(path, dir string) bool { return path == dir || under(path, dir) }

// included reports whether rel matches an include pattern, counting the
// patterns it matches.
func (l *loader) included(rel string) bool {
	ok := false
	for i, g := range l.include {
		if g.match(rel) {
			l.includeHits[i]++
			ok = true
		}
	}
	return ok
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadFile reads and parses one file. real is its resolved path (see
// resolve) when the caller knows it, else "". prefix is the name collisions
// put in front of its ID. Read failures are errors for a root and Problems
// otherwise.
func (l *loader) loadFile(path, real, id, prefix string, info fs.FileInfo, root bool) error {
	if l.maxBytes >= 0 && info.Mode().IsRegular() && info.Size() > l.maxBytes {
		l.problem(path, KindSkipped, "file too large: %d bytes, limit %d", info.Size(), l.maxBytes)
		return nil
	}
	if real == "" {
		real = resolve(path)
	}
	if j := l.pending[real]; j != nil && info.Mode().IsRegular() {
		// An alias of a file a worker has not finished: it counts as
		// loaded only once it was read.
		l.settle(j)
	}
	if prev, ok := l.files[real]; ok && info.Mode().IsRegular() {
		l.problem(path, KindSkipped, "same file as %s", prev)
		return nil
	}
	j := &fileJob{path: path, real: real, id: id, prefix: prefix, done: make(chan struct{})}
	if !root && l.raw == nil {
		// Read and parsed by a worker; a file that cannot be read
		// un-records itself when settled.
		l.files[real] = path
		l.parseLater(j)
		return nil
	}
	// A file named directly, or a load that hands each file's bytes to
	// Raw, in order: read here.
	j.run(l.maxBytes, l.raw)
	if root && j.err != nil {
		return fmt.Errorf("load %s: %w", path, j.err)
	}
	if j.err == nil && !j.tooLarge {
		l.files[real] = path
	}
	l.finish(j)
	return nil
}

// loadStdin reads and parses stdin.
func (l *loader) loadStdin(stdin io.Reader) error {
	if stdin == nil {
		return errors.New("load -: no standard input")
	}
	if l.stdinDone {
		l.problem("-", KindSkipped, "standard input named more than once")
		return nil
	}
	l.stdinDone = true
	data, tooLarge, err := readLimited(stdin, l.maxBytes)
	if err != nil {
		return fmt.Errorf("load -: %w", err)
	}
	if tooLarge {
		l.problem("-", KindSkipped, "input too large: more than %d bytes", l.maxBytes)
		return nil
	}
	if l.raw != nil {
		l.raw("-", "stdin", data)
	}
	arts, probs, err := Parse("-", "stdin", data, "")
	if err != nil {
		return fmt.Errorf("load -: %w", err)
	}
	l.add(arts, probs, "stdin", "")
	return nil
}

func readFile(path string, limit int64) ([]byte, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

// readLimited reads r to the end, or reports tooLarge once it has read more
// than limit bytes (limit < 0: no limit).
func readLimited(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	if limit < 0 {
		data, err = io.ReadAll(r)
		return data, false, err
	}
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return nil, true, nil
	}
	return data, false, nil
}

// add appends a file's articles and problems, renaming IDs already taken.
func (l *loader) add(arts []Article, probs []Problem, fileID, prefix string) {
	l.res.Problems = append(l.res.Problems, probs...)
	for _, a := range arts {
		if prev, taken := l.ids[a.ID]; taken {
			fromPath := a.ID == fileID || strings.HasPrefix(a.ID, fileID+"#")
			newID := l.freeID(a.ID, prefix, fromPath)
			l.problem(a.Source, KindRepaired, "id %q already used by %s: renamed to %q", a.ID, prev, newID)
			a.ID = newID
		}
		l.ids[a.ID] = a.Source
		l.res.Articles = append(l.res.Articles, a)
	}
}

// freeID finds an unused ID for an article whose ID is taken: prefix + "/" +
// id for IDs derived from paths, else id + "~N" for the smallest N >= 2.
func (l *loader) freeID(id, prefix string, fromPath bool) string {
	if fromPath && prefix != "" {
		if c := prefix + "/" + id; !l.taken(c) {
			return c
		}
	}
	for n := 2; ; n++ {
		if c := id + "~" + strconv.Itoa(n); !l.taken(c) {
			return c
		}
	}
}

func (l *loader) taken(id string) bool {
	_, ok := l.ids[id]
	return ok
}
