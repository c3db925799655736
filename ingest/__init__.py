"""Loaders, chunking, embeddings and the search index kept equal to the published KB."""
