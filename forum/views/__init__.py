"""Forum pages, one module per part of the forum (see forum/urls.py). Every view but the
one-click email unsubscribe is for members only, and anyone else — visitors, signed-in
non-members, refunded learners — gets a 404. Guarded objects are fetched through their
`visible_to(user)` QuerySet method."""
