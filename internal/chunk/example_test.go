package chunk_test

import (
	"fmt"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
)

func ExampleSplit() {
	text := "Lavrov meets Trump\n" +
		"Advertisement\n" +
		"Lavrov met Mr. Trump on Wednesday morning. They talked about Syria for an hour. " +
		"Photographers from Russia were allowed in. The U.S. press was kept out.\n"
	skip := []article.Span{{Start: 19, End: 33}} // "Advertisement\n"
	opt := chunk.Options{Unit: chunk.Words, Size: 14, Overlap: 7, Max: 16}
	passages, err := chunk.Split(text, skip, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range passages {
		fmt.Printf("%d: line %d, %d words: %s\n", p.Index, p.LineStart, p.Size, text[p.Start:p.End])
	}
	// Output:
	// 0: line 1, 3 words: Lavrov meets Trump
	// 1: line 3, 14 words: Lavrov met Mr. Trump on Wednesday morning. They talked about Syria for an hour.
	// 2: line 3, 13 words: They talked about Syria for an hour. Photographers from Russia were allowed in.
	// 3: line 3, 12 words: Photographers from Russia were allowed in. The U.S. press was kept out.
}

func ExampleSentences() {
	text := `He said "no." Then J.R.R. Tolkien left at 10 a.m. The U.S. officials stayed.`
	for _, s := range chunk.Sentences(text) {
		fmt.Println(text[s.Start:s.End])
	}
	// Output:
	// He said "no."
	// Then J.R.R. Tolkien left at 10 a.m.
	// The U.S. officials stayed.
}

func ExampleOptions_Validate() {
	opt := chunk.DefaultOptions()
	opt.Overlap = opt.Size
	fmt.Println(opt.Validate())
	// Output:
	// chunk options: overlap 120 must be less than size 120
}
