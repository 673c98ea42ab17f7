package embed_test

import (
	"fmt"

	"github.com/semsearch/semsearch/internal/embed"
)

func ExamplePrefixesFor() {
	for _, model := range []string{"nomic-embed-text:latest", "mxbai-embed-large", "glove-100d"} {
		q, d := embed.PrefixesFor(model)
		fmt.Printf("%s: query %q, document %q\n", model, q, d)
	}
	// Output:
	// nomic-embed-text:latest: query "search_query: ", document "search_document: "
	// mxbai-embed-large: query "Represent this sentence for searching relevant passages: ", document ""
	// glove-100d: query "", document ""
}
