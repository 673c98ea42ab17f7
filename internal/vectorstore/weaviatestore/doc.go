// Package weaviatestore is a [vectorstore.Store] on Weaviate, a distributed
// vector database, beside the embedded store (package embedded). It also answers the
// engine's keyword (BM25) searches with Weaviate's own BM25, so every node
// answers the same and no local index has to be kept in step.
//
// Layout: each semsearch collection is two Weaviate collections (classes),
// one object per document ("<Prefix>D_<name>", no vectors) and one object per
// passage ("<Prefix>P_<name>", HNSW, cosine, our vectors, vectorizer none),
// plus one shared class "<Prefix>Collections" holding each collection's
// recorded settings. Object ids are UUIDv5 of (collection, document) and
// (collection, document, generation, chunk).
//
// Replacing a document is never seen half done: a Put writes the new
// passages under a new generation number, then switches the document object
// to that generation (one object write), then deletes the passages of older
// generations. A search keeps a passage only when its generation is the
// document's current one both at a read before the search and at a read
// after it; since a generation is current only once all its passages exist
// and its passages are deleted only after it stopped being current, what a
// search returns for a document is always one whole version.
//
// No Weaviate type appears in this package's API.
package weaviatestore
