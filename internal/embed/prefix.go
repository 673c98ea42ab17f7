package embed

import "strings"

// searchPassages is the query instruction of the mxbai and arctic-embed v1 models.
const searchPassages = "Represent this sentence for searching relevant passages: "

// families maps a model family to its prefixes, most specific name first:
// a model matches the first family its base name starts with.
var families = []struct {
	name            string
	query, document string
}{
	{"nomic-embed-text", "search_query: ", "search_document: "},
	{"mxbai-embed-large", searchPassages, ""},
	// Arctic Embed 2.0 (snowflake-arctic-embed-l-v2.0) was trained with
	// "query: "; v1/v1.5 with the sentence instruction.
	{"snowflake-arctic-embed2", "query: ", ""},
	{"snowflake-arctic-embed", searchPassages, ""},
}

// PrefixesFor returns the query and document prefixes the model's family
// was trained with, judged by the model name without registry, namespace,
// tag or digest ("library/nomic-embed-text:latest" is nomic-embed-text).
// Unknown families (all-minilm, bge-*, glove-100d, ...) get none.
func PrefixesFor(model string) (query, document string) {
	base := baseName(model)
	for _, f := range families {
		if strings.HasPrefix(base, f.name) {
			return f.query, f.document
		}
	}
	return "", ""
}

// baseName strips registry, namespace, tag and digest from a model name and
// lower-cases it: "registry.ollama.ai/library/Nomic-Embed-Text:v1.5" gives
// "nomic-embed-text".
func baseName(model string) string {
	name := strings.ToLower(strings.TrimSpace(model))
	name, _, _ = strings.Cut(name, "@")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name, _, _ = strings.Cut(name, ":")
	return name
}
