"""Community review of the assessment (issue 23): the groups list, challenge forms, importing
and answering challenges, their deadlines, published releases, and what the Board pack and the
public edition say about them. Layer 5, beside validation, scoring and summary."""
