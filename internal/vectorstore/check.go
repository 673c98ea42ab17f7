package vectorstore

import (
	"fmt"
	"math"
	"regexp"
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can be used as a collection name in every
// backend: 1-64 letters, digits, '_', '.', '-', starting with a letter or
// digit. The embedded store maps names directly to file names.
func ValidName(name string) bool { return validName.MatchString(name) }

// CheckPassage reports what is wrong with passage i of doc, about to be
// stored in collection (whose vectors have dims dimensions; 0 accepts any):
// a span outside the text, a vector of the wrong length, or NaN or Inf in
// it. Every backend checks a Put with it, so they refuse the same input with
// the same words.
func CheckPassage(doc Document, i int, p Passage, collection string, dims int) error {
	if p.Start < 0 || p.End > len(doc.Text) || p.Start > p.End {
		return fmt.Errorf("put document %q: passage %d range [%d,%d) outside text of %d bytes", doc.ID, i, p.Start, p.End, len(doc.Text))
	}
	if dims > 0 && len(p.Vector) != dims {
		return fmt.Errorf("put document %q: passage %d has %d dimensions, collection %q has %d", doc.ID, i, len(p.Vector), collection, dims)
	}
	for _, x := range p.Vector {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("put document %q: passage %d vector has NaN or Inf", doc.ID, i)
		}
	}
	return nil
}
