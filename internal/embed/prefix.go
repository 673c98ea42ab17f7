package embed

import "strings"

// Query instructions shared by several families.
const (
	// searchPassages is the English query instruction of BGE v1.5, mxbai
	// and arctic-embed v1/v1.5.
	searchPassages = "Represent this sentence for searching relevant passages: "
	// webSearch is the retrieval instruction of Qwen3-Embedding and the
	// instruct e5 models, in their "Instruct: ...\nQuery: " format.
	webSearch = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "
)

// TitlePlaceholder in a document prefix stands for the article's title (or
// "none" when it has none): such a prefix is a template, filled in per
// passage by the engine (it replaces --title-context's "title\n\npassage"
// joining), and a [Client] puts nothing before documents itself.
const TitlePlaceholder = "{title}"

// families maps a model family to the prompts it was trained with for
// retrieval, most specific name first: a model matches the first family its
// base name (see [baseName]) starts with. Each entry names its source.
var families = []struct {
	name            string
	query, document string
}{
	// https://huggingface.co/nomic-ai/nomic-embed-text-v1.5 (and v1,
	// v2-moe): "search_query: " and "search_document: ".
	{"nomic-embed-text", "search_query: ", "search_document: "},
	// https://huggingface.co/mixedbread-ai/mxbai-embed-large-v1: the query
	// instruction; documents get none.
	{"mxbai-embed-large", searchPassages, ""},
	// https://ai.google.dev/gemma/docs/embeddinggemma/model_card (Prompt
	// instructions, "Retrieval"): "task: search result | query: " for
	// queries, "title: {title | "none"} | text: " for documents.
	{"embeddinggemma", "task: search result | query: ", "title: " + TitlePlaceholder + " | text: "},
	// https://huggingface.co/Qwen/Qwen3-Embedding-0.6B (Usage: queries get
	// "Instruct: {task}\nQuery: " with the card's web search task,
	// documents nothing).
	{"qwen3-embedding", webSearch, ""},
	// https://huggingface.co/Snowflake/snowflake-arctic-embed-l-v2.0 (and
	// m-v2.0): "query: " for queries, nothing for documents. Ollama calls
	// it snowflake-arctic-embed2; Hugging Face names say -l-v2.0, -m-v2.0.
	{"snowflake-arctic-embed2", "query: ", ""},
	{"snowflake-arctic-embed-l-v2", "query: ", ""},
	{"snowflake-arctic-embed-m-v2", "query: ", ""},
	// https://huggingface.co/Snowflake/snowflake-arctic-embed-m-v1.5 (and
	// v1): the BGE query instruction, documents nothing.
	{"snowflake-arctic-embed", searchPassages, ""},
	// https://huggingface.co/BAAI/bge-large-zh-v1.5 (FlagEmbedding's
	// query_instruction_for_retrieval for the Chinese models).
	{"bge-large-zh", "为这个句子生成表示以用于检索相关文章：", ""},
	{"bge-base-zh", "为这个句子生成表示以用于检索相关文章：", ""},
	{"bge-small-zh", "为这个句子生成表示以用于检索相关文章：", ""},
	// https://huggingface.co/BAAI/bge-large-en-v1.5 (Usage): the query
	// instruction, documents nothing. Ollama's bge-large is
	// bge-large-en-v1.5 (https://ollama.com/library/bge-large). bge-m3
	// takes no instruction and is not listed.
	{"bge-large", searchPassages, ""},
	{"bge-base-en", searchPassages, ""},
	{"bge-small-en", searchPassages, ""},
	// https://huggingface.co/intfloat/multilingual-e5-large-instruct:
	// queries get "Instruct: {task}\nQuery: ", documents nothing.
	{"multilingual-e5-large-instruct", webSearch, ""},
	// https://huggingface.co/intfloat/multilingual-e5-large and
	// https://huggingface.co/intfloat/e5-base-v2: "query: " and "passage: ".
	{"multilingual-e5", "query: ", "passage: "},
	{"e5-", "query: ", "passage: "},
	// all-minilm, granite-embedding, bge-m3, paraphrase-multilingual and
	// glove-100d take no prompts: not listed.
}

// PrefixesFor returns the query and document prefixes the model's family
// was trained with, judged by the model name without registry, namespace,
// tag or digest ("hf.co/Snowflake/snowflake-arctic-embed-l-v2.0-GGUF:Q8_0"
// is snowflake-arctic-embed-l-v2.0-gguf). A document prefix holding
// [TitlePlaceholder] is a template. Unknown families (all-minilm, bge-m3,
// glove-100d, ...) get none.
func PrefixesFor(model string) (query, document string) {
	base := baseName(model)
	for _, f := range families {
		if strings.HasPrefix(base, f.name) {
			return f.query, f.document
		}
	}
	return "", ""
}

// FillTitle fills a document prefix template's [TitlePlaceholder] with
// title, or "none" when title is blank; a prefix without it is returned
// as is.
func FillTitle(prefix, title string) string {
	if !strings.Contains(prefix, TitlePlaceholder) {
		return prefix
	}
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		title = "none"
	}
	return strings.ReplaceAll(prefix, TitlePlaceholder, title)
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
