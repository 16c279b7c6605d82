"""Journey maps and the assignment of sentences to their touchpoints."""
