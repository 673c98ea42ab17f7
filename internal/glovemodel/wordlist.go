package glovemodel

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ReadWordList reads a word list such as a stopword file: words separated by
// white space, usually one per line. Text from '#' to the end of a line is a
// comment. The words are returned in file order, as written: [Build]
// normalises them.
func ReadWordList(r io.Reader) ([]string, error) {
	var words []string
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		words = append(words, strings.Fields(line)...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read word list line %d: %w", n+1, err)
	}
	return words, nil
}
